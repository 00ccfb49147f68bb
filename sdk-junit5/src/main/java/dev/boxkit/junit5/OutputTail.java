package dev.boxkit.junit5;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.regex.Pattern;

/** The last bytes of an output stream, plus whether some full line matched a pattern. */
final class OutputTail {
  private final int capacityBytes;
  private final byte[] ring;
  private long written;
  private final ByteArrayOutputStream line = new ByteArrayOutputStream();
  private final Pattern watch;
  private boolean matched;

  /**
   * @param capacityBytes bytes kept, &gt; 0
   * @param watch pattern searched in each line (without its newline), or null
   */
  OutputTail(int capacityBytes, Pattern watch) {
    this.capacityBytes = capacityBytes;
    this.ring = new byte[capacityBytes];
    this.watch = watch;
  }

  synchronized void append(byte[] b, int off, int len) {
    for (int i = off; i < off + len; i++) {
      ring[(int) (written % capacityBytes)] = b[i];
      written++;
      if (watch != null && !matched) {
        if (b[i] == '\n') {
          matched = watch.matcher(line.toString(StandardCharsets.UTF_8)).find();
          line.reset();
        } else if (line.size() < 64 * 1024) {
          line.write(b[i]);
        }
      }
    }
  }

  synchronized boolean matched() {
    return matched;
  }

  /** @return the kept bytes as UTF-8, prefixed with a note when earlier bytes were dropped */
  synchronized String text() {
    byte[] out;
    if (written <= capacityBytes) {
      out = Arrays.copyOf(ring, (int) written);
    } else {
      int start = (int) (written % capacityBytes);
      out = new byte[capacityBytes];
      System.arraycopy(ring, start, out, 0, capacityBytes - start);
      System.arraycopy(ring, 0, out, capacityBytes - start, start);
    }
    String s = new String(out, StandardCharsets.UTF_8);
    return written > capacityBytes ? "[" + (written - capacityBytes) + " earlier bytes dropped]" + s : s;
  }

  static String tail(byte[] bytes, int max) {
    if (bytes.length <= max) {
      return new String(bytes, StandardCharsets.UTF_8);
    }
    return "[" + (bytes.length - max) + " earlier bytes dropped]"
        + new String(bytes, bytes.length - max, max, StandardCharsets.UTF_8);
  }
}
