package dev.boxkit.oci.unpack;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits tar entry names and hardlink names into path components relative to the target root.
 *
 * <p>Rules: a leading {@code /} is dropped (tar convention: archive names are relative to the
 * extraction root), empty and {@code .} components are dropped, and any {@code ..} component is
 * refused. {@code ..} is refused rather than clamped because no layer writer emits it and clamping
 * would silently write somewhere the image author did not name.
 */
final class EntryNames {
  private EntryNames() {}

  /**
   * @return the components, empty for the root itself
   * @throws Refused (unsafe) when a component is {@code ..}
   */
  static List<String> components(String name) {
    List<String> out = new ArrayList<>();
    for (String c : name.split("/", -1)) {
      if (c.isEmpty() || c.equals(".")) {
        continue;
      }
      if (c.equals("..")) {
        throw Refused.unsafe("\"..\" components are refused (they would climb out of the target)");
      }
      if (c.indexOf('\0') >= 0) {
        throw Refused.invalid("NUL byte in name");
      }
      out.add(c);
    }
    return out;
  }

  /** @return {@code rel/name}, or {@code name} when {@code rel} is the root ({@code ""}) */
  static String child(String rel, String name) {
    return rel.isEmpty() ? name : rel + "/" + name;
  }
}
