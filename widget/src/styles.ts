// The widget's CSS, scoped by its shadow root.
export const STYLES = `
:host { all: initial; }
.shell { --sb-accent: #0b6bcb; position: fixed; right: 20px; bottom: 20px; z-index: 2147483000;
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: #1d2330; }
[hidden] { display: none !important; }
button { font: inherit; cursor: pointer; }
svg { width: 22px; height: 22px; fill: currentColor; }
.launcher { width: 56px; height: 56px; border-radius: 50%; border: 0; background: var(--sb-accent); color: #fff;
  box-shadow: 0 6px 20px rgba(15, 30, 60, .28); display: grid; place-items: center; }
.launcher svg { width: 26px; height: 26px; }
.panel { width: 360px; max-width: calc(100vw - 40px); height: 540px; max-height: calc(100vh - 40px); background: #fff;
  border-radius: 14px; box-shadow: 0 12px 40px rgba(15, 30, 60, .25); display: flex; flex-direction: column; overflow: hidden; }
header { background: var(--sb-accent); color: #fff; padding: 14px 14px 14px 18px; display: flex; align-items: flex-start; gap: 8px; }
.titles { flex: 1; min-width: 0; }
h2 { margin: 0; font-size: 16px; font-weight: 600; }
.status { margin: 2px 0 0; font-size: 12.5px; opacity: .9; }
.close { background: transparent; border: 0; color: #fff; padding: 4px; border-radius: 6px; display: grid; }
.close:hover { background: rgba(255, 255, 255, .15); }
.messages { flex: 1; overflow-y: auto; padding: 14px; display: flex; flex-direction: column; gap: 8px; background: #f5f7fb; }
.welcome, .event { margin: 0 auto; font-size: 12.5px; color: #5d6678; text-align: center; }
.message { max-width: 80%; display: flex; flex-direction: column; }
.message .body { margin: 0; padding: 8px 12px; border-radius: 14px; white-space: pre-wrap; overflow-wrap: anywhere; }
.message .author { font-size: 11.5px; color: #5d6678; margin: 0 0 2px 4px; }
.message time { font-size: 10.5px; color: #8a93a5; margin: 2px 6px 0; }
.message.customer { align-self: flex-end; align-items: flex-end; }
.message.customer .body { background: var(--sb-accent); color: #fff; border-bottom-right-radius: 4px; }
.message.agent, .message.bot { align-self: flex-start; }
.message.agent .body { background: #fff; border: 1px solid #e2e6ee; border-bottom-left-radius: 4px; }
.message.bot .body { background: #e9eefb; border-bottom-left-radius: 4px; }
.typing { margin: 0; padding: 4px 16px; font-size: 12.5px; color: #5d6678; font-style: italic; background: #f5f7fb; }
.human { margin: 6px 14px 0; align-self: flex-start; background: #fff; color: var(--sb-accent); border: 1px solid var(--sb-accent);
  border-radius: 999px; padding: 5px 12px; font-size: 13px; }
.human:hover { background: #eef4fc; }
.error { margin: 6px 14px 0; color: #b3261e; font-size: 12.5px; }
.composer { display: flex; gap: 8px; padding: 10px 12px; border-top: 1px solid #e2e6ee; align-items: flex-end; }
textarea { flex: 1; resize: none; border: 1px solid #d3d9e4; border-radius: 10px; padding: 9px 11px; font: inherit;
  max-height: 120px; min-height: 20px; outline: none; }
textarea:focus { border-color: var(--sb-accent); }
.send { width: 40px; height: 40px; border: 0; border-radius: 10px; background: var(--sb-accent); color: #fff; display: grid; place-items: center; }
.send:disabled { opacity: .6; cursor: default; }
.attach { width: 40px; height: 40px; border: 0; border-radius: 10px; background: transparent; color: #5d6678; display: grid; place-items: center; }
.attach:hover { background: #eef1f6; }
.staged { margin: 6px 14px 0; font-size: 12.5px; color: #1d2330; display: flex; gap: 6px; align-items: center; }
.staged button { border: 0; background: transparent; color: #5d6678; padding: 0 4px; }
.files { display: flex; flex-direction: column; gap: 4px; margin-top: 4px; }
.file { display: flex; flex-direction: column; gap: 2px; background: #fff; border: 1px solid #e2e6ee; border-radius: 10px; padding: 6px 8px; }
.file img { max-width: 220px; max-height: 180px; border-radius: 6px; object-fit: contain; }
.file a { color: var(--sb-accent); text-decoration: none; display: flex; flex-direction: column; }
.file a:hover .name { text-decoration: underline; }
.file .name { overflow-wrap: anywhere; }
.file .meta { font-size: 11px; color: #5d6678; }
`;
