#!/usr/bin/env python3
"""X11 moves the desktop tests make as a person would, with no window
manager under Xvfb: `focus-none` takes the keyboard focus from every window
(the agent switched to another app); `close TITLE` asks the top-level window
named TITLE to close (WM_DELETE_WINDOW, what a window manager's close button
sends). Exits 1 if there was nothing to close."""

import ctypes
import sys

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

CLIENT_MESSAGE = 33


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
    sys.exit("usage: x11.py focus-none | close TITLE")


main()
