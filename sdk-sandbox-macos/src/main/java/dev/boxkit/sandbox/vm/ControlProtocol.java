package dev.boxkit.sandbox.vm;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Frames on the control channel between the host and the guest agent ({@code boxkit-vm-agent.c}):
 * {@code u8 type, u32 big-endian length, payload}. A spec frame's payload is a list of records
 * {@code u8 tag, u32 big-endian length, value}.
 */
final class ControlProtocol {
  private ControlProtocol() {}

  /** Host to guest: the spec. */
  static final byte SPEC = 'S';
  /**
   * Host to guest, before {@link #SPEC} and only then: a pool's spec, whose root and mounts the
   * agent sets up at once, starting the program's init, which then waits; the spec that follows
   * must differ only in argv, env and stdin.
   */
  static final byte PREPARE = 'R';
  /** Host to guest: send a signal (u32) to the program's process group. */
  static final byte SIGNAL = 'K';
  /** Host to guest: stdin bytes; an empty frame closes the program's stdin. */
  static final byte STDIN = 'I';
  /** Host to guest: everything was read; power off. */
  static final byte QUIT = 'Q';
  /** Guest to host: stdout bytes. */
  static final byte STDOUT = 'O';
  /** Guest to host: stderr bytes. */
  static final byte STDERR = 'E';
  /** Guest to host: u32 exit status, u32 signal (0 = none). */
  static final byte EXIT = 'X';
  /** Guest to host: u32 errno, then step NUL path NUL message. */
  static final byte FAILURE = 'F';

  /** Host to guest: u32 stream, u32 port: connect to 127.0.0.1:port in the guest. */
  static final byte CONNECT = 'C';
  /** Guest to host: u32 stream, u32 port: a program connected to the guest's egress listener. */
  static final byte ACCEPTED = 'A';
  /** Both ways: u32 stream, then bytes; no bytes = end of file. */
  static final byte DATA = 'D';
  /** Both ways: u32 stream, u32 n: n more bytes were written to the stream's socket. */
  static final byte WINDOW = 'W';
  /** Both ways: u32 stream: closed. */
  static final byte CLOSE = 'Z';

  /** Guest to host: u32 ports: what a shared network member's program listens on now. */
  static final byte LISTENING = 'T';
  /** Host to guest: u32 port, u32 on: (stop) relaying 127.0.0.1:port to the network. */
  static final byte RELAY = 'L';
  /** Host to guest: the shared network's /etc/hosts. */
  static final byte HOSTS = 'H';

  /** Largest frame either side accepts. */
  static final int MAX_FRAME_BYTES = 64 << 20;

  /** One frame. */
  record Frame(byte type, byte[] payload) {}

  /** Builds a spec frame's payload. */
  static final class SpecWriter {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    SpecWriter add(char tag, String value) {
      return add(tag, value.getBytes(StandardCharsets.UTF_8));
    }

    SpecWriter add(char tag, byte[] value) {
      out.write(tag);
      out.writeBytes(ByteBuffer.allocate(4).putInt(value.length).array());
      out.writeBytes(value);
      return this;
    }

    /** A mount record: NUL-separated fields. */
    SpecWriter mount(List<String> fields) {
      return add('m', String.join("\0", fields));
    }

    byte[] toByteArray() {
      return out.toByteArray();
    }
  }

  static void write(OutputStream out, byte type, byte[] payload) throws IOException {
    byte[] head = ByteBuffer.allocate(5).put(type).putInt(payload.length).array();
    out.write(head);
    out.write(payload);
    out.flush();
  }

  /**
   * @return the next frame
   * @throws EOFException when the channel ends, even mid-frame
   * @throws IOException when the frame is larger than {@link #MAX_FRAME_BYTES}
   */
  static Frame read(DataInputStream in) throws IOException {
    byte type = in.readByte();
    int len = in.readInt();
    if (len < 0 || len > MAX_FRAME_BYTES) {
      throw new IOException("control frame '" + (char) type + "' of " + Integer.toUnsignedString(len)
          + " bytes exceeds " + MAX_FRAME_BYTES);
    }
    byte[] payload = new byte[len];
    in.readFully(payload);
    return new Frame(type, payload);
  }
}
