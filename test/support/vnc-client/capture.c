/*
 * capture: a VNC client built on libvncclient (a client nobody here wrote), for the VNC server's
 * tests. It connects, asks for the given encodings (and, if told to, the cursor pseudo-encodings),
 * receives the first full frame and then N further updates (or a desktop resize and the frame
 * after it), and writes the framebuffer to a file. It prints one line per event on stdout:
 *
 *   connected W H            after the handshake (ServerInit size)
 *   update N rects R         a framebuffer update finished (N counts from 1)
 *   resize W H               the server changed the desktop size
 *   cursor rich W H HX HY    a Cursor (-239) shape arrived
 *   cursor alpha W H HX HY   a CursorWithAlpha (-314) shape arrived
 *   pointer X Y              a PointerPos (-232) arrived
 *   frame N colours C count P bbox X Y W H first V
 *                            with --check-frames, after update N: what the framebuffer holds
 *                            (32 bpp only): C distinct non-zero pixel values (capped at 2), P
 *                            non-zero pixels, their bounding box, the first non-zero value
 *   done                     finished; the files are written
 *
 * --idle-ms T: after the updates asked for, go on reading until stdin is closed and then the server
 * sent nothing for T ms (the framebuffer written is then the last state the server left the client
 * in). Until then, stdin lines are input to send: "p X Y BUTTONS" (PointerEvent), "k KEYSYM DOWN"
 * (KeyEvent, keysym in hex), each answered by a "sent" line.
 *
 * Output file (--out F): "PVGF", then u32 little-endian width, height, bytes per pixel, then the
 * framebuffer as libvncclient holds it (row-major, the client's pixel format). The last cursor
 * shape goes to F.cursor: "PVGC", u32 kind (1 rich, 2 alpha), width, height, hotx, hoty, bytes per
 * pixel; then for rich: pixels (client format) and one mask byte (0/1) per pixel; for alpha: the
 * R, G, B, A bytes as received.
 *
 * Exit status: 0 done, 2 could not connect or authenticate, 3 timed out, 4 connection lost or
 * protocol error, 64 bad arguments.
 */
#include <arpa/inet.h>
#include <poll.h>
#include <unistd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rfb/rfbclient.h>

static const char *password = NULL;
static const char *outPath = NULL;
static int updates = 0;        /* updates finished */
static int rectsInUpdate = 0;  /* rectangles in the update being received */
static int resized = 0;        /* resizes seen */
static int resizeInUpdate = 0; /* the update being received carries a resize */
static int updatesAfterResize = 0;
static int frameAllocated = 0;
static int checkFrames = 0;
static int idleMs = -1; /* --idle-ms: once done and stdin is closed, go on until the server has been quiet this long */
static int stdinClosed = 0;

/* With --idle-ms the caller closes stdin to say "the server has nothing more coming": only then
   does a quiet spell end the run (a quiet spell before that may just be a busy server). Lines on
   stdin before that are input to send: "p X Y BUTTONS" a PointerEvent, "k KEYSYM DOWN" a KeyEvent
   (each answered with "sent" on stdout once libvncclient has written it). */
static char stdinLine[256];
static size_t stdinUsed = 0;

static void runCommand(rfbClient *cl, const char *line) {
  int x, y, buttons, down;
  unsigned long keysym;
  if (sscanf(line, "p %d %d %d", &x, &y, &buttons) == 3) SendPointerEvent(cl, x, y, buttons);
  else if (sscanf(line, "k %lx %d", &keysym, &down) == 2) SendKeyEvent(cl, (uint32_t)keysym, down ? TRUE : FALSE);
  else {
    printf("bad-command %s\n", line);
    return;
  }
  printf("sent\n");
}

static void pollStdin(rfbClient *cl) {
  if (stdinClosed) return;
  struct pollfd p = {.fd = 0, .events = POLLIN};
  while (!stdinClosed && poll(&p, 1, 0) > 0) {
    char c;
    if (read(0, &c, 1) <= 0) {
      stdinClosed = 1;
      break;
    }
    if (c != '\n') {
      if (stdinUsed < sizeof stdinLine - 1) stdinLine[stdinUsed++] = c;
      continue;
    }
    stdinLine[stdinUsed] = 0;
    stdinUsed = 0;
    runCommand(cl, stdinLine);
  }
}

static long long nowMs(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void putU32(FILE *f, uint32_t v) {
  unsigned char b[4] = {v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, (v >> 24) & 0xff};
  fwrite(b, 1, 4, f);
}

static void saveCursor(uint32_t kind, int w, int h, int hx, int hy, int bpp, const void *a, size_t alen,
                       const void *b, size_t blen) {
  if (!outPath) return;
  char path[4096];
  snprintf(path, sizeof path, "%s.cursor", outPath);
  FILE *f = fopen(path, "wb");
  if (!f) return;
  fwrite("PVGC", 1, 4, f);
  putU32(f, kind);
  putU32(f, (uint32_t)w);
  putU32(f, (uint32_t)h);
  putU32(f, (uint32_t)hx);
  putU32(f, (uint32_t)hy);
  putU32(f, (uint32_t)bpp);
  if (alen) fwrite(a, 1, alen, f);
  if (blen) fwrite(b, 1, blen, f);
  fclose(f);
}

static rfbBool mallocFrameBuffer(rfbClient *cl) {
  free(cl->frameBuffer);
  size_t bytes = (size_t)cl->width * cl->height * (cl->format.bitsPerPixel / 8);
  cl->frameBuffer = calloc(bytes ? bytes : 1, 1);
  if (!cl->frameBuffer) return FALSE;
  if (frameAllocated) {
    resized++;
    resizeInUpdate = 1;
    printf("resize %d %d\n", cl->width, cl->height);
  }
  frameAllocated = 1;
  return TRUE;
}

static void gotRect(rfbClient *cl, int x, int y, int w, int h) {
  (void)cl; (void)x; (void)y; (void)w; (void)h;
  rectsInUpdate++;
}

/* What the framebuffer holds now, in one line: enough for a test to tell whether it is a frame
   the server ever had (one colour, one shape where that colour's frame put it). */
static void describeFrame(rfbClient *cl) {
  if (cl->format.bitsPerPixel != 32) return;
  const uint32_t *px = (const uint32_t *)cl->frameBuffer;
  uint32_t first = 0;
  int colours = 0, x0 = cl->width, y0 = cl->height, x1 = -1, y1 = -1;
  long long count = 0;
  for (int y = 0; y < cl->height; y++) {
    for (int x = 0; x < cl->width; x++) {
      uint32_t v = px[(size_t)y * cl->width + x] & 0xffffff;
      if (!v) continue;
      if (!colours) { first = v; colours = 1; }
      else if (v != first) colours = 2;
      count++;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
    }
  }
  if (!count) x0 = y0 = 0;
  printf("frame %d colours %d count %lld bbox %d %d %d %d first %u\n", updates, colours, count, x0, y0, x1 - x0 + 1, y1 - y0 + 1, first);
}

static void finishedUpdate(rfbClient *cl) {
  updates++;
  printf("update %d rects %d\n", updates, rectsInUpdate);
  if (checkFrames) describeFrame(cl);
  rectsInUpdate = 0;
  if (resizeInUpdate) {
    resizeInUpdate = 0;
    updatesAfterResize = 0;
  } else if (resized) {
    updatesAfterResize++;
  }
}

static void gotCursorShape(rfbClient *cl, int hx, int hy, int w, int h, int bpp) {
  printf("cursor rich %d %d %d %d\n", w, h, hx, hy);
  saveCursor(1, w, h, hx, hy, bpp, cl->rcSource, (size_t)w * h * bpp, cl->rcMask, (size_t)w * h);
}

static rfbBool cursorPos(rfbClient *cl, int x, int y) {
  (void)cl;
  printf("pointer %d %d\n", x, y);
  return TRUE;
}

static char *getPassword(rfbClient *cl) {
  (void)cl;
  return strdup(password ? password : "");
}

/* libvncclient does not know CursorWithAlpha; this extension asks for it and reads it. */
static int alphaEncodings[] = {-314, 0};

static rfbBool handleAlphaCursor(rfbClient *cl, rfbFramebufferUpdateRectHeader *rect) {
  if (rect->encoding != (uint32_t)-314) return FALSE;
  int w = rect->r.w, h = rect->r.h;
  uint32_t enc;
  if (!ReadFromRFBServer(cl, (char *)&enc, 4)) return FALSE;
  enc = ntohl(enc);
  if (enc != 0) {
    fprintf(stderr, "capture: CursorWithAlpha with encoding %d, only Raw is handled\n", (int)enc);
    return FALSE;
  }
  size_t n = (size_t)w * h * 4;
  char *data = malloc(n ? n : 1);
  if (!data) return FALSE;
  if (n && !ReadFromRFBServer(cl, data, (unsigned int)n)) {
    free(data);
    return FALSE;
  }
  printf("cursor alpha %d %d %d %d\n", w, h, rect->r.x, rect->r.y);
  saveCursor(2, w, h, rect->r.x, rect->r.y, 4, data, n, NULL, 0);
  free(data);
  return TRUE;
}

static rfbClientProtocolExtension alphaExtension = {
    .encodings = alphaEncodings,
    .handleEncoding = handleAlphaCursor,
};

static int saveFrame(rfbClient *cl) {
  if (!outPath) return 0;
  FILE *f = fopen(outPath, "wb");
  if (!f) return -1;
  int bpp = cl->format.bitsPerPixel / 8;
  fwrite("PVGF", 1, 4, f);
  putU32(f, (uint32_t)cl->width);
  putU32(f, (uint32_t)cl->height);
  putU32(f, (uint32_t)bpp);
  fwrite(cl->frameBuffer, 1, (size_t)cl->width * cl->height * bpp, f);
  return fclose(f);
}

static void usage(void) {
  fprintf(stderr,
          "usage: capture --port P [--host H] [--password PW] [--encodings \"raw\"] [--cursor none|rich|alpha]\n"
          "               [--bpp 32|16|8] [--updates N] [--until-resize] [--check-frames] [--out FILE]\n"
          "               [--timeout-ms T] [--idle-ms T]\n"
          "               [--pointer X,Y] [--key KEYSYM] [--cut TEXT]\n");
  exit(64);
}

int main(int argc, char **argv) {
  const char *host = "127.0.0.1";
  const char *encodings = "raw";
  const char *cursor = "none";
  const char *cut = NULL;
  int port = -1, bpp = 32, further = 0, untilResize = 0, timeoutMs = 10000;
  int pointerX = -1, pointerY = -1;
  long key = -1;

  setvbuf(stdout, NULL, _IOLBF, 0);
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "--until-resize")) { untilResize = 1; continue; }
    if (!strcmp(a, "--check-frames")) { checkFrames = 1; continue; }
    if (!strcmp(a, "--idle-ms")) { if (!v) usage(); idleMs = atoi(v); i++; continue; }
    if (!v) usage();
    i++;
    if (!strcmp(a, "--host")) host = v;
    else if (!strcmp(a, "--port")) port = atoi(v);
    else if (!strcmp(a, "--password")) password = v;
    else if (!strcmp(a, "--encodings")) encodings = v;
    else if (!strcmp(a, "--cursor")) cursor = v;
    else if (!strcmp(a, "--bpp")) bpp = atoi(v);
    else if (!strcmp(a, "--updates")) further = atoi(v);
    else if (!strcmp(a, "--out")) outPath = v;
    else if (!strcmp(a, "--timeout-ms")) timeoutMs = atoi(v);
    else if (!strcmp(a, "--pointer")) { if (sscanf(v, "%d,%d", &pointerX, &pointerY) != 2) usage(); }
    else if (!strcmp(a, "--key")) key = strtol(v, NULL, 0);
    else if (!strcmp(a, "--cut")) cut = v;
    else usage();
  }
  if (port <= 0 || (bpp != 32 && bpp != 16 && bpp != 8)) usage();
  if (strcmp(cursor, "none") && strcmp(cursor, "rich") && strcmp(cursor, "alpha")) usage();

  /* 32: 8 bits per channel (depth 24); 16: 5-5-5 (depth 15); 8: libvncclient's BGR233 (depth 6). */
  rfbClient *cl = bpp == 32 ? rfbGetClient(8, 3, 4) : bpp == 16 ? rfbGetClient(5, 3, 2) : rfbGetClient(2, 3, 1);
  if (!cl) return 2;
  cl->appData.encodingsString = encodings;
  cl->appData.useRemoteCursor = strcmp(cursor, "none") != 0;
  cl->canHandleNewFBSize = TRUE;
  cl->MallocFrameBuffer = mallocFrameBuffer;
  cl->GotFrameBufferUpdate = gotRect;
  cl->FinishedFrameBufferUpdate = finishedUpdate;
  cl->GotCursorShape = gotCursorShape;
  cl->HandleCursorPos = cursorPos;
  cl->GetPassword = getPassword;
  free(cl->serverHost);
  cl->serverHost = strdup(host);
  cl->serverPort = port;
  if (!strcmp(cursor, "alpha")) rfbClientRegisterExtension(&alphaExtension);

  if (!rfbInitClient(cl, NULL, NULL)) {
    /* rfbInitClient has freed the client. */
    printf("init-failed\n");
    return 2;
  }
  printf("connected %d %d\n", cl->width, cl->height);
  if (pointerX >= 0) SendPointerEvent(cl, pointerX, pointerY, 0);
  if (key >= 0) {
    SendKeyEvent(cl, (uint32_t)key, TRUE);
    SendKeyEvent(cl, (uint32_t)key, FALSE);
  }
  if (cut) SendClientCutText(cl, (char *)cut, (int)strlen(cut));

  long long deadline = nowMs() + timeoutMs;
  long long lastMessage = nowMs();
  for (;;) {
    int finished = untilResize ? (resized > 0 && updatesAfterResize >= 1 + further) : updates >= 1 + further;
    if (idleMs >= 0) pollStdin(cl);
    if (finished && (idleMs < 0 || (stdinClosed && nowMs() - lastMessage >= idleMs))) break;
    if (nowMs() > deadline) {
      printf("timeout after %d updates\n", updates);
      return 3;
    }
    int n = cl->buffered > 0 ? 1 : WaitForMessage(cl, 50000);
    if (n < 0) {
      printf("error waiting for the server\n");
      return 4;
    }
    if (n > 0 && !HandleRFBServerMessage(cl)) {
      printf("error: connection lost or protocol error after %d updates\n", updates);
      return 4;
    }
    if (n > 0) lastMessage = nowMs();
  }
  if (saveFrame(cl) != 0) {
    printf("error: cannot write %s\n", outPath);
    return 4;
  }
  printf("done\n");
  rfbClientCleanup(cl);
  return 0;
}
