#!/usr/bin/env bash
# Regenerates every icon in icons/ from the SVG sources in icons/src.
# Needs rsvg-convert (Debian: librsvg2-bin) and npx (Node 20).
set -euo pipefail
cd "$(dirname "$0")"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# App icon: 1024 px master, then every size Tauri bundles need.
rsvg-convert -w 1024 -h 1024 src/app-icon.svg -o "$tmp/app-icon.png"
npx --yes @tauri-apps/cli@^2 icon "$tmp/app-icon.png" --output "$tmp/out" >"$tmp/cli.log" 2>&1 || { cat "$tmp/cli.log"; exit 1; }
for f in 32x32.png 128x128.png 128x128@2x.png icon.icns icon.ico icon.png; do
  cp "$tmp/out/$f" "$f"
done

# Tray icons: one per agent status.
render_tray() { # name colour
  sed "s/@COLOR@/$2/" src/tray.svg.in >"$tmp/tray-$1.svg"
  rsvg-convert -w 64 -h 64 "$tmp/tray-$1.svg" -o "tray-$1.png"
}
render_tray available '#22c55e'
render_tray busy '#f59e0b'
render_tray offline '#9ca3af'

# The UI shows the logo on the login screen and as its favicon.
rsvg-convert -w 96 -h 96 src/app-icon.svg -o ../ui/public/logo.png
rsvg-convert -w 32 -h 32 src/app-icon.svg -o ../ui/public/favicon.png
