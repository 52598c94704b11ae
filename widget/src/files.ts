// Files on messages: each shown with its name, size and type as a link
// that downloads it; PNG, JPEG, GIF and WebP images also shown inline.
//
// The bytes come from `GET /widget/v1/attachments/{id}` with the visitor
// token in a header (the server serves them as downloads, `nosniff`, with a
// sandboxing CSP). The widget turns them into a `blob:` URL of its own: an
// image is an `<img>` of bytes from the server, typed by the widget from a
// short list (never SVG, never HTML); any other file is only ever saved.

import type { AttachmentInfo, VisitorApi } from "./api";

/** The image types shown inline. */
export const INLINE_IMAGES = ["image/png", "image/jpeg", "image/gif", "image/webp"];

/** `12 B`, `3.4 KB`, `1.2 MB`. */
export function humanSize(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MB`;
}

/** A short name for a type: `PDF`, `PNG`, or the type itself. */
export function typeLabel(contentType: string): string {
  const sub = contentType.split("/")[1] ?? contentType;
  const known: Record<string, string> = { pdf: "PDF", png: "PNG", jpeg: "JPEG", gif: "GIF", webp: "WebP", plain: "text", html: "file" };
  return known[sub] ?? contentType;
}

function save(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  a.rel = "noopener";
  a.style.display = "none";
  document.body.appendChild(a);
  a.click();
  a.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** The files of one message, or null when it has none. */
export function renderAttachments(
  api: VisitorApi,
  files: AttachmentInfo[] | undefined,
  onError: (e: unknown) => void,
): HTMLElement | null {
  if (!files || files.length === 0) return null;
  const box = document.createElement("div");
  box.className = "files";
  for (const f of files) {
    const item = document.createElement("div");
    item.className = "file";
    item.setAttribute("data-testid", "sb-file");
    item.setAttribute("data-id", f.id);
    const inline = INLINE_IMAGES.includes(f.content_type);
    if (inline) {
      const img = document.createElement("img");
      img.alt = f.filename;
      img.setAttribute("data-testid", "sb-image");
      item.appendChild(img);
      void api
        .file(f.id)
        .then((blob) => {
          img.src = URL.createObjectURL(new Blob([blob], { type: f.content_type }));
        })
        .catch(onError);
    }
    const link = document.createElement("a");
    link.href = "#";
    link.setAttribute("data-testid", "sb-download");
    link.setAttribute("role", "button");
    link.title = `Download ${f.filename}`;
    const name = document.createElement("span");
    name.className = "name";
    name.textContent = f.filename;
    const meta = document.createElement("span");
    meta.className = "meta";
    meta.textContent = `${humanSize(f.size)} · ${typeLabel(f.content_type)}`;
    link.append(name, meta);
    link.addEventListener("click", (e) => {
      e.preventDefault();
      void api
        .file(f.id)
        .then((blob) => save(new Blob([blob], { type: "application/octet-stream" }), f.filename))
        .catch(onError);
    });
    item.appendChild(link);
    box.appendChild(item);
  }
  return box;
}
