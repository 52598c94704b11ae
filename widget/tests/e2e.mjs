// End to end: the real switchboard-server, a website on another origin with
// the one script tag, and a real headless Chromium (Debian's, driven by
// playwright-core). A visitor chats with the bot, asks for a person; an agent
// claims, types and replies through the API and the visitor sees it live;
// after a reload the history is back; hostile text stays text; an internal
// note reaches neither the page nor the network.
//
// Needs: the server binary (SWITCHBOARD_SERVER_BIN, else
// $CARGO_TARGET_DIR/debug/switchboard-server, else target/debug/…) and
// Chromium (SWITCHBOARD_CHROMIUM, else /usr/bin/chromium).
// Writes a screenshot to target/widget-e2e/widget.png.

import { spawn, execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, existsSync, readFileSync } from "node:fs";
import { crc32, deflateSync } from "node:zlib";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";

import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, "../..");
const targetDir = process.env.CARGO_TARGET_DIR ? resolve(repo, process.env.CARGO_TARGET_DIR) : join(repo, "target");
const serverBin = process.env.SWITCHBOARD_SERVER_BIN ?? join(targetDir, "debug", "switchboard-server");
const chromiumPath = process.env.SWITCHBOARD_CHROMIUM ?? "/usr/bin/chromium";
const artefacts = join(repo, "target", "widget-e2e");

const PASSWORD = "correct-horse-battery";
const NOTE = "INTERNAL-NOTE-7f3a do not show the customer";
const HOSTILE = `<img src=x onerror="window.__pwned=1"><b>bold?</b>`;
const WAIT = 15_000;
const STRICT_CSP = (server) =>
  `default-src 'none'; script-src ${server}; connect-src ${server}; img-src blob:; style-src 'unsafe-inline'`;

let dir;
let server;
let site;
let browser;
let api; // http://127.0.0.1:PORT of the server
let page_origin;
let admin;
let agent;

function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
    s.on("error", rej);
  });
}

async function call(method, path, token, body) {
  const headers = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const resp = await fetch(api + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await resp.text();
  if (!resp.ok) throw new Error(`${method} ${path} → ${resp.status}: ${text}`);
  return text ? JSON.parse(text) : null;
}

async function login(email) {
  return (await call("POST", "/api/v1/auth/login", null, { email, password: PASSWORD })).token;
}

before(async () => {
  assert.ok(existsSync(serverBin), `server binary missing at ${serverBin}: cargo build -p switchboard-server`);
  assert.ok(existsSync(chromiumPath), `Chromium missing at ${chromiumPath}: apt-get install chromium`);
  dir = mkdtempSync(join(tmpdir(), "sb-widget-e2e-"));
  const db = `sqlite://${join(dir, "switchboard.db")}`;
  execFileSync(serverBin, ["create-admin", "--email", "admin@e2e.test", "--password", PASSWORD, "--database-url", db], {
    stdio: "pipe",
  });

  // The website: another origin, one script tag.
  const sitePort = await freePort();
  const serverPort = await freePort();
  api = `http://127.0.0.1:${serverPort}`;
  page_origin = `http://localhost:${sitePort}`;
  site = createServer((req, res) => {
    const headers = { "Content-Type": "text/html; charset=utf-8" };
    // /strict: a site with a strict CSP; the widget needs only its server
    // for script and connections and blob: for the images it shows.
    if (req.url === "/strict") headers["Content-Security-Policy"] = STRICT_CSP(api);
    res.writeHead(200, headers);
    res.end(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Acme Outdoor</title>
<style>body{font-family:Georgia,serif;margin:0;background:#faf8f4;color:#222}
header{background:#24492f;color:#fff;padding:24px 40px}main{padding:32px 40px;max-width:640px}</style></head>
<body><header><h1>Acme Outdoor</h1></header>
<main><h2>Tents, stoves and everything in between</h2><p>Free shipping on orders over €50.</p></main>
<script src="${api}/widget.js" async data-title="Acme support"></script>
</body></html>`);
  });
  await new Promise((res) => site.listen(sitePort, "127.0.0.1", res));

  server = spawn(serverBin, ["serve", "--listen", `127.0.0.1:${serverPort}`, "--database-url", db], {
    env: {
      ...process.env,
      SWITCHBOARD_WIDGET_ORIGINS: page_origin,
      RUST_LOG: process.env.RUST_LOG ?? "warn",
    },
    stdio: ["ignore", "inherit", "inherit"],
  });
  for (let i = 0; ; i++) {
    try {
      await call("GET", "/api/v1/health");
      break;
    } catch (e) {
      if (i > 150) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  admin = await login("admin@e2e.test");
  await call("POST", "/api/v1/agents", admin, {
    name: "Dana Scully",
    email: "dana@e2e.test",
    password: PASSWORD,
    role: "agent",
    categories: ["general"],
    capacity: 5,
  });
  agent = await login("dana@e2e.test");
  await call("PUT", "/api/v1/me/status", agent, { status: "available" });
  await call("POST", "/api/v1/bot/answers", admin, {
    questions: ["What are your opening hours?", "When are you open?"],
    answer: "Our shop is open 9:00 to 18:00, Monday to Saturday.",
  });

  browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: ["--no-sandbox"] });
});

after(async () => {
  await browser?.close();
  server?.kill("SIGTERM");
  site?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

// Tees every /widget/v1 response body the page receives (the event stream
// included) into window.__sbNetwork, before the widget loads.
function recordNetwork() {
  const seen = [];
  window.__sbNetwork = seen;
  const original = window.fetch.bind(window);
  window.fetch = async (...args) => {
    const resp = await original(...args);
    const url = String(args[0] instanceof Request ? args[0].url : args[0]);
    if (url.includes("/widget/v1/") && resp.body) {
      const reader = resp.clone().body.getReader();
      const dec = new TextDecoder();
      (async () => {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          seen.push(dec.decode(value, { stream: true }));
        }
      })().catch(() => {});
    }
    return resp;
  };
}

const widgetText = (page) =>
  page.locator("#switchboard-chat-widget").evaluate((host) => host.shadowRoot.textContent);
const network = (page) => page.evaluate(() => window.__sbNetwork.join(""));

test("a visitor chats with the bot, gets a person live, and keeps the history", async () => {
  const context = await browser.newContext({ viewport: { width: 1100, height: 760 } });
  await context.addInitScript(recordNetwork);
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(page_origin);

  // The bot answers from the configured answers.
  await page.locator('[data-testid="sb-launcher"]').click();
  const input = page.locator('[data-testid="sb-input"]');
  await input.fill("When are you open?");
  await page.locator('[data-testid="sb-send"]').click();
  const botLine = page.locator('[data-testid="sb-message"][data-kind="bot"]').first();
  await botLine.waitFor({ timeout: WAIT });
  assert.match(await botLine.textContent(), /open 9:00 to 18:00/);

  // Hostile text is shown as text.
  await input.fill(HOSTILE);
  await input.press("Enter");
  const hostile = page.locator('[data-testid="sb-message"][data-kind="customer"]').nth(1);
  await hostile.waitFor({ timeout: WAIT });
  assert.equal(await hostile.locator(".body").textContent(), HOSTILE);
  const injected = await page
    .locator("#switchboard-chat-widget")
    .evaluate((host) => host.shadowRoot.querySelectorAll("img, b").length + document.querySelectorAll("body img").length);
  assert.equal(injected, 0);

  // Ask for a person with the button: the conversation enters the queue as `bot`.
  await page.locator('[data-testid="sb-human"]').click();
  await page.locator('[data-testid="sb-status"]').filter({ hasText: "Waiting" }).waitFor({ timeout: WAIT });
  const queue = await call("GET", "/api/v1/conversations?view=queue", agent);
  assert.equal(queue.length, 1);
  const conv = queue[0];
  assert.equal(conv.channel, "bot");

  // The agent claims, writes a note, types, replies: the visitor sees it live.
  await call("POST", `/api/v1/conversations/${conv.id}/claim`, agent);
  await page.locator('[data-testid="sb-event"]').filter({ hasText: "Dana joined the conversation" }).waitFor({ timeout: WAIT });
  await call("POST", `/api/v1/conversations/${conv.id}/messages`, agent, { body: NOTE, internal: true });
  await call("POST", `/api/v1/conversations/${conv.id}/typing`, agent);
  const typing = page.locator('[data-testid="sb-typing"]');
  await typing.filter({ hasText: "Dana is typing" }).waitFor({ timeout: WAIT });
  await call("POST", `/api/v1/conversations/${conv.id}/messages`, agent, {
    body: "Hi, I'm Dana. Your order ships today.",
    internal: false,
  });
  const reply = page.locator('[data-testid="sb-message"][data-kind="agent"]');
  await reply.waitFor({ timeout: WAIT });
  assert.match(await reply.textContent(), /Dana.*ships today/s);
  await typing.waitFor({ state: "hidden", timeout: WAIT });
  await input.fill("Great, thank you!");
  await input.press("Enter");
  await page.locator('[data-testid="sb-message"][data-kind="customer"]').nth(2).waitFor({ timeout: WAIT });
  // Typing shows again for the screenshot.
  await call("POST", `/api/v1/conversations/${conv.id}/typing`, agent);
  await typing.waitFor({ timeout: WAIT });
  mkdirSync(artefacts, { recursive: true });
  await page.screenshot({ path: join(artefacts, "widget.png") });

  // Neither the page nor anything it received holds the note, the agent's
  // email or surname.
  for (const secret of [NOTE, "INTERNAL-NOTE", "dana@e2e.test", "Scully"]) {
    assert.ok(!(await widgetText(page)).includes(secret), `${secret} on the page`);
    assert.ok(!(await network(page)).includes(secret), `${secret} in the network responses`);
  }
  assert.ok((await network(page)).includes("ships today"), "the recorder saw the stream");

  // A reload brings the whole history back.
  await page.reload();
  await page.locator('[data-testid="sb-launcher"]').click();
  const messages = page.locator('[data-testid="sb-message"]');
  await page.locator('[data-testid="sb-message"][data-kind="agent"]').waitFor({ timeout: WAIT });
  const kinds = await messages.evaluateAll((els) => els.map((e) => e.getAttribute("data-kind")));
  assert.deepEqual(kinds, ["customer", "bot", "customer", "bot", "bot", "agent", "customer"]);
  assert.equal(await page.locator('[data-testid="sb-message"][data-kind="customer"] .body').nth(1).textContent(), HOSTILE);
  assert.match(await page.locator('[data-testid="sb-status"]').textContent(), /chatting with Dana/);
  // Still live after the reload.
  await call("POST", `/api/v1/conversations/${conv.id}/messages`, agent, { body: "Anything else?", internal: false });
  await page.locator('[data-testid="sb-message"]', { hasText: "Anything else?" }).waitFor({ timeout: WAIT });
  for (const secret of [NOTE, "dana@e2e.test", "Scully"]) {
    assert.ok(!(await widgetText(page)).includes(secret));
    assert.ok(!(await network(page)).includes(secret));
  }
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
  assert.deepEqual(errors, []);
  await context.close();
});

// A real PNG (w×h, RGB stripes), so the browser decodes it.
function pngOf(w, h) {
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, "ascii"), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(td) >>> 0);
    return Buffer.concat([len, td, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const rows = [];
  for (let y = 0; y < h; y++) {
    const row = Buffer.alloc(1 + w * 3);
    for (let x = 0; x < w; x++) row.set(y % 8 < 4 ? [11, 107, 203] : [250, 200, 40], 1 + x * 3);
    rows.push(row);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(Buffer.concat(rows))),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

async function upload(token, name, bytes) {
  const resp = await fetch(`${api}/api/v1/uploads?filename=${encodeURIComponent(name)}`, {
    method: "POST",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/octet-stream" },
    body: bytes,
  });
  assert.equal(resp.status, 201, await resp.clone().text());
  return resp.json();
}

async function agentDownload(id) {
  const resp = await fetch(`${api}/api/v1/attachments/${id}`, { headers: { Authorization: `Bearer ${agent}` } });
  assert.equal(resp.status, 200);
  return { headers: resp.headers, bytes: Buffer.from(await resp.arrayBuffer()) };
}

test("files both ways: an agent's PDF and PNG in the widget, a visitor's file to the agent", async () => {
  const context = await browser.newContext({ viewport: { width: 1100, height: 760 }, acceptDownloads: true });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  const violations = [];
  page.on("console", (m) => {
    if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
  });
  await page.goto(`${page_origin}/strict`);
  await page.locator('[data-testid="sb-launcher"]').click();
  const input = page.locator('[data-testid="sb-input"]');
  await input.fill("I need my invoice, please");
  await input.press("Enter");
  await page.locator('[data-testid="sb-message"][data-kind="bot"]').first().waitFor({ timeout: WAIT });
  await page.locator('[data-testid="sb-human"]').click();
  await page.locator('[data-testid="sb-status"]').filter({ hasText: "Waiting" }).waitFor({ timeout: WAIT });
  const conv = (await call("GET", "/api/v1/conversations?view=queue", agent)).find((c) => c.customer.name !== null);
  await call("POST", `/api/v1/conversations/${conv.id}/claim`, agent);

  // The agent sends a PDF and a PNG with no text.
  const pdf = Buffer.concat([Buffer.from("%PDF-1.7\n%\xe2\xe3\n1 0 obj\n"), Buffer.alloc(300_000, 7)]);
  const png = pngOf(64, 40);
  const p = await upload(agent, "invoice.pdf", pdf);
  const i = await upload(agent, "photo.png", png);
  await call("POST", `/api/v1/conversations/${conv.id}/messages`, agent, { body: "", attachment_ids: [p.id, i.id] });
  const reply = page.locator('[data-testid="sb-message"][data-kind="agent"]').last();
  await reply.locator('[data-testid="sb-file"]').nth(1).waitFor({ timeout: WAIT });
  const files = await reply.locator('[data-testid="sb-file"]').allTextContents();
  assert.match(files[0], /invoice\.pdf.*293\.0 KB.*PDF/s);
  assert.match(files[1], /photo\.png.*PNG/s);
  // The PNG is an image (decoded, from a blob: URL the widget made), the PDF is not.
  const image = reply.locator('[data-testid="sb-image"]');
  assert.equal(await image.count(), 1);
  await page.waitForFunction(
    () => {
      const host = document.querySelector("#switchboard-chat-widget");
      const img = host?.shadowRoot?.querySelector('[data-testid="sb-image"]');
      return img && img.complete && img.naturalWidth === 64;
    },
    null,
    { timeout: WAIT },
  );
  assert.match(await image.getAttribute("src"), /^blob:/);
  assert.equal(await image.getAttribute("alt"), "photo.png");
  // The PDF link downloads the same bytes.
  const [download] = await Promise.all([
    page.waitForEvent("download", { timeout: WAIT }),
    reply.locator('[data-testid="sb-download"]').first().click(),
  ]);
  assert.equal(download.suggestedFilename(), "invoice.pdf");
  assert.ok(readFileSync(await download.path()).equals(pdf), "the downloaded PDF is byte for byte the agent's");

  // The visitor attaches a file with the paperclip's file input.
  const note = Buffer.from("Order 1234: the stove arrived with a cracked burner.\n".repeat(50));
  const fileInput = page.locator('[data-testid="sb-file-input"]');
  await fileInput.setInputFiles({ name: "damage report.txt", mimeType: "text/plain", buffer: note });
  await page.locator('[data-testid="sb-staged"]').filter({ hasText: "damage report.txt" }).waitFor({ timeout: WAIT });
  await input.fill("Here is what happened");
  await input.press("Enter");
  const mine = page.locator('[data-testid="sb-message"][data-kind="customer"]').last();
  await mine.locator('[data-testid="sb-file"]').waitFor({ timeout: WAIT });
  assert.match(await mine.textContent(), /Here is what happened.*damage report\.txt/s);
  let full = await call("GET", `/api/v1/conversations/${conv.id}`, agent);
  const sent = full.messages.at(-1);
  assert.equal(sent.kind, "customer");
  assert.equal(sent.attachments[0].filename, "damage report.txt");
  assert.ok((await agentDownload(sent.attachments[0].id)).bytes.equals(note), "the agent gets the same bytes");

  // 30 MiB: a clear error in the widget, nothing attached.
  await fileInput.setInputFiles({ name: "huge.bin", mimeType: "application/octet-stream", buffer: Buffer.alloc(30 * 1024 * 1024, 1) });
  await input.fill("A big one");
  await input.press("Enter");
  const error = page.locator(".error");
  await error.filter({ hasText: "25 MiB" }).waitFor({ timeout: 60_000 });
  assert.match(await error.textContent(), /files are limited to 25 MiB.*nothing was stored/);
  await page.locator('[data-testid="sb-staged"] button').click();
  full = await call("GET", `/api/v1/conversations/${conv.id}`, agent);
  assert.equal(full.messages.at(-1).id, sent.id, "no message for the refused file");

  // HTML named invoice.pdf from the visitor: agents get a nosniff download.
  const html = Buffer.from("<!DOCTYPE html><html><body><script>alert(1)</script></body></html>");
  await fileInput.setInputFiles({ name: "invoice.pdf", mimeType: "application/pdf", buffer: html });
  await input.fill("My invoice");
  await input.press("Enter");
  await page.locator('[data-testid="sb-message"][data-kind="customer"]', { hasText: "My invoice" }).locator('[data-testid="sb-file"]').waitFor({ timeout: WAIT });
  full = await call("GET", `/api/v1/conversations/${conv.id}`, agent);
  const fake = full.messages.at(-1).attachments[0];
  assert.equal(fake.content_type, "text/html");
  const got = await agentDownload(fake.id);
  assert.equal(got.headers.get("content-type"), "application/octet-stream");
  assert.equal(got.headers.get("x-content-type-options"), "nosniff");
  assert.match(got.headers.get("content-disposition"), /^attachment;/);
  assert.ok(got.bytes.equals(html));

  mkdirSync(artefacts, { recursive: true });
  await page.screenshot({ path: join(artefacts, "widget-files.png") });
  assert.deepEqual(violations, [], "the strict CSP let everything through");
  assert.deepEqual(errors, []);
  await context.close();
});
