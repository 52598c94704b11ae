// Attachments on the page, as pure functions: sizes for people, which
// files the page previews (images only, from `blob:` URLs the core's bytes
// make), and the files a paste carries. The page never reads or writes
// the file system: picking, dropping and saving happen in the core.

/** Bytes for people: `512 B`, `1.5 KB`, `12 MB` (1024-based). */
export function formatSize(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '';
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB'];
  let v = bytes / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u += 1;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[u]}`;
}

/** Types the page shows as an image preview (the core agrees). */
export const PREVIEWABLE = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'];

export const isPreviewable = (contentType: string): boolean => PREVIEWABLE.includes(contentType);

/** A short label for a content type: `PDF`, `PNG image`, or the type itself. */
export function typeLabel(contentType: string): string {
  if (contentType === 'application/pdf') return 'PDF';
  const m = /^image\/([a-z0-9.+-]+)$/.exec(contentType);
  if (m) return `${m[1].toUpperCase()} image`;
  return contentType || 'file';
}

/** The files a paste carries (images pasted from a screenshot tool, say). */
export function pastedFiles(data: DataTransfer | null): File[] {
  if (!data) return [];
  const out: File[] = [];
  for (const item of Array.from(data.items ?? [])) {
    if (item.kind !== 'file') continue;
    const f = item.getAsFile();
    if (f) out.push(f);
  }
  return out;
}

/** A name for a pasted file that came without one. */
export function pastedName(file: File, now: Date = new Date()): string {
  if (file.name && file.name !== 'image.png') return file.name;
  const ext = /^image\/(png|jpeg|gif|webp)$/.exec(file.type)?.[1] ?? 'png';
  const stamp = now.toISOString().slice(0, 19).replace(/[T:]/g, '-');
  return `pasted-${stamp}.${ext === 'jpeg' ? 'jpg' : ext}`;
}
