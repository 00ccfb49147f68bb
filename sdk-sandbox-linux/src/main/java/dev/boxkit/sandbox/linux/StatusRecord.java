package dev.boxkit.sandbox.linux;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** What the helper reports on its status fd (format: see package-info). */
sealed interface StatusRecord permits StatusRecord.Failure, StatusRecord.Exit, StatusRecord.Port,
    StatusRecord.Child, StatusRecord.Ready {

  /** A step failed; the helper process that ran it has exited. */
  record Failure(int opIndex, int errno, String step, String path, String message) implements StatusRecord {}

  /** A published port listens: {@code 127.0.0.1:hostPort} on the host reaches sandboxPort. */
  record Port(int sandboxPort, int hostPort) implements StatusRecord {}

  /** A process of the sandbox (a shared network's holder), by its pid in the host's namespace. */
  record Child(int pid) implements StatusRecord {}

  /** Init pivoted into the finished root: what an exec joins is complete from now on. */
  record Ready() implements StatusRecord {}

  /** The program ended: exit status, or 128 + signal and the signal. */
  record Exit(int code, int signal) implements StatusRecord {}

  /**
   * Parses every complete record; a truncated tail (a helper killed mid-write) is ignored.
   *
   * @param bytes all bytes read from the status fd
   */
  static List<StatusRecord> parse(byte[] bytes) {
    List<StatusRecord> out = new ArrayList<>();
    ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    while (b.remaining() >= 8) {
      int len = b.getInt();
      if (len < 4 || len > b.remaining()) {
        break;
      }
      ByteBuffer rec = b.slice(b.position(), len).order(ByteOrder.LITTLE_ENDIAN);
      b.position(b.position() + len);
      int type = rec.getInt();
      if (type == 1 && rec.remaining() >= 8) {
        int op = rec.getInt();
        int errno = rec.getInt();
        out.add(new Failure(op, errno, str(rec), str(rec), str(rec)));
      } else if (type == 2 && rec.remaining() >= 8) {
        out.add(new Exit(rec.getInt(), rec.getInt()));
      } else if (type == 3 && rec.remaining() >= 8) {
        out.add(new Port(rec.getInt(), rec.getInt()));
      } else if (type == 4 && rec.remaining() >= 4) {
        out.add(new Child(rec.getInt()));
      } else if (type == 5) {
        out.add(new Ready());
      }
    }
    return out;
  }

  private static String str(ByteBuffer rec) {
    if (rec.remaining() < 4) {
      return "";
    }
    int n = rec.getInt();
    if (n < 0 || n > rec.remaining()) {
      return "";
    }
    byte[] s = new byte[n];
    rec.get(s);
    return new String(s, StandardCharsets.UTF_8);
  }
}
