import { describe, expect, it } from 'vitest';
import { formatSize, isPreviewable, pastedName, typeLabel } from './files';

describe('files', () => {
  it('sizes for people', () => {
    expect(formatSize(0)).toBe('0 B');
    expect(formatSize(1023)).toBe('1023 B');
    expect(formatSize(1536)).toBe('1.5 KB');
    expect(formatSize(10 * 1024 * 1024)).toBe('10 MB');
    expect(formatSize(-1)).toBe('');
  });

  it('previews images only, never markup', () => {
    expect(isPreviewable('image/png')).toBe(true);
    expect(isPreviewable('image/svg+xml')).toBe(false);
    expect(isPreviewable('text/html')).toBe(false);
    expect(typeLabel('application/pdf')).toBe('PDF');
    expect(typeLabel('image/png')).toBe('PNG image');
  });

  it('names a pasted image by its time when it came without a name', () => {
    const f = new File([new Uint8Array([1])], 'image.png', { type: 'image/png' });
    expect(pastedName(f, new Date('2026-12-05T10:11:12Z'))).toBe('pasted-2026-12-05-10-11-12.png');
    const named = new File([new Uint8Array([1])], 'shot.jpg', { type: 'image/jpeg' });
    expect(pastedName(named)).toBe('shot.jpg');
  });
});
