package dev.boxkit.sandbox.linux;

import java.io.ByteArrayOutputStream;
import java.util.List;
import java.util.Map;

/**
 * The program of a pooled run, as op AWAIT reads it from the plan fd: {@code u32 magic "BXR1",
 * u32 length}, then op EXEC's fields ({@code u32 argc}, argv strings, {@code u32 envc},
 * {@code NAME=value} strings; each string {@code u32 length} including its NUL, then the bytes
 * and the NUL). Little-endian, like the plan.
 */
final class RunRequest {
  static final int MAGIC = 0x31525842; // "BXR1" little-endian

  private RunRequest() {}

  /**
   * @param argv the program and its arguments, not empty
   * @param env the whole environment
   * @return the request, ready for one write
   */
  static byte[] encode(List<String> argv, Map<String, String> env) {
    Plan.Fields f = new Plan.Fields().u32(argv.size());
    argv.forEach(f::str);
    f.u32(env.size());
    env.forEach((k, v) -> f.str(k + "=" + v));
    byte[] body = f.bytes();
    ByteArrayOutputStream out = new ByteArrayOutputStream(8 + body.length);
    Plan.Fields.le32(out, MAGIC);
    Plan.Fields.le32(out, body.length);
    out.writeBytes(body);
    return out.toByteArray();
  }
}
