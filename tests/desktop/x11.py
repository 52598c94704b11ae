#!/usr/bin/env python3
"""X11 moves the desktop tests make as a person would, with no window
manager under Xvfb: `focus-none` takes the keyboard focus from every window
(the agent switched to another app); `close TITLE` asks the top-level window
named TITLE to close (WM_DELETE_WINDOW, what a window manager's close button
sends). Exits 1 if there was nothing to close. `shot PATH` writes the
whole screen as a PNG (what a person sees; WebKit's WebDriver screenshot
of some views never returns, issue 20)."""

import ctypes
import struct
import sys
import zlib

x = ctypes.CDLL("libX11.so.6")
Display = ctypes.c_void_p
Window = ctypes.c_ulong
x.XOpenDisplay.restype = Display
x.XOpenDisplay.argtypes = [ctypes.c_char_p]
x.XDefaultRootWindow.restype = Window
x.XDefaultRootWindow.argtypes = [Display]
x.XInternAtom.restype = ctypes.c_ulong
x.XInternAtom.argtypes = [Display, ctypes.c_char_p, ctypes.c_int]
x.XQueryTree.argtypes = [
    Display,
    Window,
    ctypes.POINTER(Window),
    ctypes.POINTER(Window),
    ctypes.POINTER(ctypes.POINTER(Window)),
    ctypes.POINTER(ctypes.c_uint),
]
x.XFetchName.argtypes = [Display, Window, ctypes.POINTER(ctypes.c_char_p)]
x.XSendEvent.argtypes = [Display, Window, ctypes.c_int, ctypes.c_long, ctypes.c_void_p]
x.XSetInputFocus.argtypes = [Display, Window, ctypes.c_int, ctypes.c_ulong]
x.XSync.argtypes = [Display, ctypes.c_int]

x.XDisplayWidth.argtypes = [Display, ctypes.c_int]
x.XDisplayHeight.argtypes = [Display, ctypes.c_int]


class XImage(ctypes.Structure):
    _fields_ = [
        ("width", ctypes.c_int),
        ("height", ctypes.c_int),
        ("xoffset", ctypes.c_int),
        ("format", ctypes.c_int),
        ("data", ctypes.POINTER(ctypes.c_ubyte)),
        ("byte_order", ctypes.c_int),
        ("bitmap_unit", ctypes.c_int),
        ("bitmap_bit_order", ctypes.c_int),
        ("bitmap_pad", ctypes.c_int),
        ("depth", ctypes.c_int),
        ("bytes_per_line", ctypes.c_int),
        ("bits_per_pixel", ctypes.c_int),
    ]


x.XGetImage.restype = ctypes.POINTER(XImage)
x.XGetImage.argtypes = [Display, Window, ctypes.c_int, ctypes.c_int, ctypes.c_uint, ctypes.c_uint, ctypes.c_ulong, ctypes.c_int]

CLIENT_MESSAGE = 33
Z_PIXMAP = 2


def png(path, width, height, rows):
    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + r for r in rows)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
        f.write(chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)))
        f.write(chunk(b"IDAT", zlib.compress(raw, 6)))
        f.write(chunk(b"IEND", b""))


def shot(d, path):
    w, h = x.XDisplayWidth(d, 0), x.XDisplayHeight(d, 0)
    img = x.XGetImage(d, x.XDefaultRootWindow(d), 0, 0, w, h, 0xFFFFFFFF, Z_PIXMAP)
    if not img or img.contents.bits_per_pixel != 32:
        sys.exit("cannot read the screen (32 bits per pixel expected)")
    im = img.contents
    data = ctypes.string_at(im.data, im.bytes_per_line * h)
    rows = []
    for y in range(h):
        line = data[y * im.bytes_per_line : y * im.bytes_per_line + 4 * w]
        # BGRX, least significant byte first, to RGB.
        rgb = bytearray(3 * w)
        rgb[0::3] = line[2::4]
        rgb[1::3] = line[1::4]
        rgb[2::3] = line[0::4]
        rows.append(bytes(rgb))
    png(path, w, h, rows)


class ClientMessage(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("serial", ctypes.c_ulong),
        ("send_event", ctypes.c_int),
        ("display", Display),
        ("window", Window),
        ("message_type", ctypes.c_ulong),
        ("format", ctypes.c_int),
        ("l", ctypes.c_long * 5),
    ]


class XEvent(ctypes.Union):
    _fields_ = [("xclient", ClientMessage), ("pad", ctypes.c_long * 24)]


def top_level_named(d, title):
    root, parent = Window(), Window()
    kids, n = ctypes.POINTER(Window)(), ctypes.c_uint()
    x.XQueryTree(d, x.XDefaultRootWindow(d), ctypes.byref(root), ctypes.byref(parent), ctypes.byref(kids), ctypes.byref(n))
    for i in range(n.value):
        name = ctypes.c_char_p()
        if x.XFetchName(d, kids[i], ctypes.byref(name)) and name.value == title.encode():
            yield kids[i]


def main():
    d = x.XOpenDisplay(None)
    if not d:
        sys.exit("cannot open the display")
    if sys.argv[1:] == ["focus-none"]:
        x.XSetInputFocus(d, 0, 0, 0)
        x.XSync(d, 0)
        return
    if len(sys.argv) == 3 and sys.argv[1] == "close":
        protocols = x.XInternAtom(d, b"WM_PROTOCOLS", 0)
        delete = x.XInternAtom(d, b"WM_DELETE_WINDOW", 0)
        sent = 0
        for w in top_level_named(d, sys.argv[2]):
            e = XEvent()
            e.xclient.type = CLIENT_MESSAGE
            e.xclient.window = w
            e.xclient.message_type = protocols
            e.xclient.format = 32
            e.xclient.l[0] = delete
            x.XSendEvent(d, w, 0, 0, ctypes.byref(e))
            sent += 1
        x.XSync(d, 0)
        sys.exit(0 if sent else 1)
    if len(sys.argv) == 3 and sys.argv[1] == "shot":
        shot(d, sys.argv[2])
        return
    sys.exit("usage: x11.py focus-none | close TITLE | shot PATH")


main()
