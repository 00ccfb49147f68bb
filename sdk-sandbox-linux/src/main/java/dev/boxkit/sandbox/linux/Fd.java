package dev.boxkit.sandbox.linux;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A raw file descriptor owned by the JVM side, closed at most once. Java cannot wrap an int fd in
 * a {@link java.io.FileDescriptor} without reflection, so streams read and write through libc.
 */
final class Fd implements AutoCloseable {
  private final AtomicInteger fd;

  Fd(int fd) {
    this.fd = new AtomicInteger(fd);
  }

  /** @return the number, or -1 once closed */
  int get() {
    return fd.get();
  }

  /** @return bytes read, 0 at end of file, or -errno */
  long read(Memory buf, long max) {
    int n = fd.get();
    if (n < 0) {
      return 0;
    }
    while (true) {
      long r = DirectLibC.read(n, buf, Math.min(max, buf.size()));
      if (r >= 0) {
        return r;
      }
      int errno = Native.getLastError();
      if (errno != LibC.EINTR) {
        return -errno;
      }
    }
  }

  @Override
  public void close() {
    int n = fd.getAndSet(-1);
    if (n >= 0) {
      DirectLibC.close(n);
    }
  }

  /** An input stream over this fd; closing it closes the fd. */
  InputStream inputStream() {
    return new InputStream() {
      private final Memory buf = new Memory(65536);

      @Override
      public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
          return 0;
        }
        long r = Fd.this.read(buf, len);
        if (r < 0) {
          throw new IOException("read: " + Errno.name((int) -r));
        }
        if (r == 0) {
          return -1;
        }
        buf.read(0, b, off, (int) r);
        return (int) r;
      }

      @Override
      public void close() {
        Fd.this.close();
      }
    };
  }

  /** An output stream over this fd; closing it closes the fd (the reader sees end of file). */
  OutputStream outputStream() {
    return new OutputStream() {
      private final Memory buf = new Memory(65536);

      @Override
      public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        while (len > 0) {
          int chunk = (int) Math.min(len, buf.size());
          buf.write(0, b, off, chunk);
          long done = 0;
          while (done < chunk) {
            int n = fd.get();
            if (n < 0) {
              throw new IOException("stream closed");
            }
            long w = DirectLibC.write(n, buf.share(done), chunk - done);
            if (w < 0) {
              int errno = Native.getLastError();
              if (errno == LibC.EINTR) {
                continue;
              }
              throw new IOException("write: " + Errno.name(errno));
            }
            done += w;
          }
          off += chunk;
          len -= chunk;
        }
      }

      @Override
      public void close() {
        Fd.this.close();
      }
    };
  }
}
