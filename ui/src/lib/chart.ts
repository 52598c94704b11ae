// Chart.js, registered with only the parts the metrics page draws (keeps the
// bundle small). Chart.js paints on a canvas and sets sizes through the
// CSSOM, so it runs under the app's CSP (no inline styles, no eval).

import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
  type ChartConfiguration,
} from 'chart.js';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, LineController, LineElement, PointElement, Legend, Tooltip);
Chart.defaults.font.family = "system-ui, -apple-system, 'Segoe UI', Roboto, Ubuntu, Cantarell, sans-serif";
Chart.defaults.font.size = 11;
Chart.defaults.color = '#5f6879';

export { Chart };
export type { ChartConfiguration };
