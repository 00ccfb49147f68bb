package dev.boxkit.sandbox.linux;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A compiled sandbox plan: the bytes sent to the helper plus, for each op, a description used to
 * explain a failure ("mount /project -> /project (bind, ro)"). Format: see package-info.
 */
final class Plan {
  static final int MAGIC = 0x31505842; // "BXP1" little-endian

  private final ByteArrayOutputStream ops = new ByteArrayOutputStream(4096);
  private final List<Op> opList = new ArrayList<>();
  private final List<String> descriptions = new ArrayList<>();

  /** Appends one op; {@code fields} are encoded by {@link Fields}. */
  Plan add(Op op, int flags, String description, Fields fields) {
    Fields.le32(ops, (flags << 16) | op.code);
    Fields.le32(ops, fields.out.size());
    ops.write(fields.out.toByteArray(), 0, fields.out.size());
    opList.add(op);
    descriptions.add(description);
    return this;
  }

  Plan add(Op op, String description, Fields fields) {
    return add(op, 0, description, fields);
  }

  Plan add(Op op, String description) {
    return add(op, 0, description, new Fields());
  }

  /** @return header + ops, ready for the helper's fd 3 */
  byte[] bytes() {
    byte[] body = ops.toByteArray();
    ByteBuffer b = ByteBuffer.allocate(8 + body.length).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(MAGIC).putInt(body.length).put(body);
    return b.array();
  }

  List<Op> ops() {
    return Collections.unmodifiableList(opList);
  }

  /** @return what op {@code index} does, or "?" for an index outside the plan */
  String describe(int index) {
    return index >= 0 && index < descriptions.size() ? descriptions.get(index) : "?";
  }

  /** Little-endian fields of one op: u32, u64, NUL-terminated strings and byte blobs. */
  static final class Fields {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream(64);

    Fields u32(long v) {
      le32(out, (int) v);
      return this;
    }

    Fields u64(long v) {
      le32(out, (int) v);
      le32(out, (int) (v >>> 32));
      return this;
    }

    static void le32(ByteArrayOutputStream to, int v) {
      to.write(v);
      to.write(v >>> 8);
      to.write(v >>> 16);
      to.write(v >>> 24);
    }

    Fields str(String s) {
      byte[] raw = s.getBytes(StandardCharsets.UTF_8);
      u32(raw.length + 1L);
      out.writeBytes(raw);
      out.write(0);
      return this;
    }

    Fields blob(byte[] bytes) {
      u32(bytes.length);
      out.writeBytes(bytes);
      return this;
    }

    /** @return the encoded fields */
    byte[] bytes() {
      return out.toByteArray();
    }

  }
}
