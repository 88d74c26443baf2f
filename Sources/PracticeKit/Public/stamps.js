// Glass-to-glass latency, the page's half (a test mode: ?stamped=1). The kiosk's synthetic
// camera draws its capture time into every frame (kioskd's TestPattern.swift): a black box at
// the top left holding two rows of 5x7 digits, the frame counter (6 digits) and the capture
// time in wall-clock milliseconds modulo 10^9 (9 digits). The page reads the stamp of each
// kiosk frame it shows, at requestVideoFrameCallback's expected display time, and sends a
// camera of its own drawn the same way, whose stamps kioskd reads when its screen shows them.
// Same machine, same wall clock: the difference is the latency.
'use strict';

const Stamps = (() => {
  const W = 5, H = 7, DIGITS = 9, PERIOD = 1e9;
  // Seven rows per digit, bit 4 the leftmost column (DigitFont.swift).
  const GLYPHS = [
    [0b01110, 0b10001, 0b10011, 0b10101, 0b11001, 0b10001, 0b01110],
    [0b00100, 0b01100, 0b00100, 0b00100, 0b00100, 0b00100, 0b01110],
    [0b01110, 0b10001, 0b00001, 0b00010, 0b00100, 0b01000, 0b11111],
    [0b11111, 0b00010, 0b00100, 0b00010, 0b00001, 0b10001, 0b01110],
    [0b00010, 0b00110, 0b01010, 0b10010, 0b11111, 0b00010, 0b00010],
    [0b11111, 0b10000, 0b11110, 0b00001, 0b00001, 0b10001, 0b01110],
    [0b00110, 0b01000, 0b10000, 0b11110, 0b10001, 0b10001, 0b01110],
    [0b11111, 0b00001, 0b00010, 0b00100, 0b01000, 0b01000, 0b01000],
    [0b01110, 0b10001, 0b10001, 0b01110, 0b10001, 0b10001, 0b01110],
    [0b01110, 0b10001, 0b10001, 0b01111, 0b00001, 0b00010, 0b01100],
  ];
  const on = (digit, column, row) => ((GLYPHS[digit][row] >> (W - 1 - column)) & 1) === 1;

  // TestPattern.Layout: where the digits sit at a given picture size.
  function layout(width, height) {
    const margin = Math.max(2, Math.trunc(Math.min(width, height) / 40)) & ~1;
    const byWidth = Math.trunc((width - 2 * margin) / ((W + 1) * DIGITS + 1));
    const scale = Math.max(1, Math.min(Math.trunc(height / 64), byWidth));
    const rowHeight = (H + 2) * scale, cellWidth = (W + 1) * scale;
    return {
      margin, scale, boxWidth: DIGITS * cellWidth + scale, boxHeight: 2 * rowHeight + scale,
      origin: (row, index) => [margin + scale + index * cellWidth, margin + scale + row * rowHeight],
    };
  }

  // The number in `row` (0 counter, 1 time) of RGBA pixels `data` `stride` wide, or null;
  // `factor` 2 reads a picture the sender halved with the layout of twice its size.
  function readNumber(data, stride, l, row, digits, factor = 1) {
    let value = 0;
    for (let i = 0; i < digits; i++) {
      const [ox, oy] = l.origin(row, i);
      let best = -1, bestDistance = Infinity;
      const bits = [];
      for (let gy = 0; gy < H; gy++) {
        for (let gx = 0; gx < W; gx++) {
          const x = Math.trunc((ox + gx * l.scale + (l.scale >> 1)) / factor);
          const y = Math.trunc((oy + gy * l.scale + (l.scale >> 1)) / factor);
          const p = (y * stride + x) * 4;
          bits.push(0.299 * data[p] + 0.587 * data[p + 1] + 0.114 * data[p + 2] > 128);
        }
      }
      for (let d = 0; d < 10; d++) {
        let distance = 0;
        for (let gy = 0; gy < H; gy++) for (let gx = 0; gx < W; gx++) if (on(d, gx, gy) !== bits[gy * W + gx]) distance++;
        if (distance < bestDistance) { best = d; bestDistance = distance; }
      }
      if (bestDistance > 3) return null;
      value = value * 10 + best;
    }
    return value;
  }

  // Reads the stamps of the frames `video` shows into `samples` (milliseconds).
  function watch(video, samples) {
    if (!video.requestVideoFrameCallback) return;
    const canvas = document.createElement('canvas');
    const context = canvas.getContext('2d', { willReadFrequently: true });
    const onFrame = (now, metadata) => {
      const width = metadata.width, height = metadata.height;
      if (width > 0 && height > 0) {
        canvas.width = width; canvas.height = height;
        context.drawImage(video, 0, 0, width, height);
        let stamp = null;
        // As drawn, or halved by the kiosk's resolution ladder.
        for (const factor of [1, 2]) {
          const l = layout(width * factor, height * factor);
          const w = Math.min(width, Math.ceil((l.margin + l.boxWidth) / factor)), h = Math.min(height, Math.ceil((l.margin + l.boxHeight) / factor));
          stamp = readNumber(context.getImageData(0, 0, w, h).data, w, l, 1, DIGITS, factor);
          if (stamp !== null) break;
        }
        const shownAt = performance.timeOrigin + (metadata.expectedDisplayTime ?? now);
        if (stamp !== null) {
          const ms = ((Math.floor(shownAt) % PERIOD) - stamp + PERIOD) % PERIOD;
          if (ms < 10000) samples.push(ms);
          if (samples.length > 1800) samples.shift();
        }
      }
      video.requestVideoFrameCallback(onFrame);
    };
    video.requestVideoFrameCallback(onFrame);
  }

  // A 640x480 camera at 30 fps drawn like the kiosk's test pattern: moving bars, a grey
  // square, and the stamped box. Returns its video track.
  function camera() {
    const width = 640, height = 480, l = layout(width, height);
    const canvas = document.createElement('canvas');
    canvas.width = width; canvas.height = height;
    const context = canvas.getContext('2d');
    const bars = ['#ebebeb', '#d2d210', '#10d2d2', '#10d210', '#d210d2', '#d21010', '#1010d2', '#101010'];
    let index = 0;
    const draw = () => {
      const shift = (index * 4) % width;
      for (let b = 0; b < bars.length; b++) {
        context.fillStyle = bars[b];
        const x = (b * width / bars.length - shift + width) % width;
        context.fillRect(x, 0, width / bars.length + 1, height);
        if (x + width / bars.length > width) context.fillRect(x - width, 0, width / bars.length + 1, height);
      }
      context.fillStyle = '#808080';
      context.fillRect((index * 6) % (width - 60), (index * 4) % (height - 60), 60, 60);
      context.fillStyle = '#000000';
      context.fillRect(l.margin, l.margin, l.boxWidth, l.boxHeight);
      context.fillStyle = '#ffffff';
      const number = (value, row, digits) => {
        for (let i = digits - 1; i >= 0; i--) {
          const digit = value % 10;
          value = Math.floor(value / 10);
          const [ox, oy] = l.origin(row, i);
          for (let gy = 0; gy < H; gy++) for (let gx = 0; gx < W; gx++) {
            if (on(digit, gx, gy)) context.fillRect(ox + gx * l.scale, oy + gy * l.scale, l.scale, l.scale);
          }
        }
      };
      number(index % 1e6, 0, 6);
      number(Math.floor(performance.timeOrigin + performance.now()) % PERIOD, 1, DIGITS);
      index++;
    };
    draw();
    const timer = setInterval(draw, 1000 / 30);
    const track = canvas.captureStream(30).getVideoTracks()[0];
    const stop = track.stop.bind(track);
    track.stop = () => { clearInterval(timer); stop(); };
    return track;
  }

  // The median and 95th percentile of `samples`.
  function summary(samples) {
    const sorted = [...samples].sort((a, b) => a - b);
    const at = (q) => sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] : null;
    return { samples: sorted.length, p50Ms: sorted.length ? sorted[Math.floor((sorted.length - 1) / 2)] : null, p95Ms: at(0.95) };
  }

  return { layout, watch, camera, summary };
})();
