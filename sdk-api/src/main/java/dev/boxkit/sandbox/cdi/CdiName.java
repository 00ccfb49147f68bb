package dev.boxkit.sandbox.cdi;

import dev.boxkit.sandbox.InvalidSandboxSpecException;
import java.util.regex.Pattern;

/**
 * A fully-qualified CDI device name, {@code vendor/class=name}: for example {@code
 * nvidia.com/gpu=0}. The name {@code all} asks for the spec's device called {@code all} when it
 * has one, and otherwise for every device of that kind (see {@link CdiRegistry#edits}).
 *
 * @param vendor a DNS-like vendor name: letters, digits, {@code .}, {@code -}, {@code _}, at
 *     most 253 characters, starting with a letter and ending with a letter or digit
 * @param deviceClass the device class: letters, digits, {@code .}, {@code -}, {@code _}, at most
 *     63 characters, starting with a letter and ending with a letter or digit
 * @param name the device's name within its kind: letters, digits, {@code .}, {@code -}, {@code
 *     _}, {@code :}, starting and ending with a letter or digit
 */
public record CdiName(String vendor, String deviceClass, String name) {
  private static final Pattern VENDOR = Pattern.compile("[A-Za-z]([A-Za-z0-9._-]*[A-Za-z0-9])?");
  private static final Pattern CLASS = Pattern.compile("[A-Za-z]([A-Za-z0-9._-]*[A-Za-z0-9])?");
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9._:-]*[A-Za-z0-9])?");

  /** The device name that means every device of a kind, unless a spec defines it. */
  public static final String ALL = "all";

  /** @throws InvalidSandboxSpecException naming {@code devices} when a part is malformed */
  public CdiName {
    if (vendor == null || vendor.length() > 253 || !VENDOR.matcher(vendor).matches()) {
      throw new InvalidSandboxSpecException("devices", "CDI vendor \"" + vendor + "\" is not a"
          + " name like vendor.com (letters, digits, '.', '-', '_')");
    }
    if (deviceClass == null || deviceClass.length() > 63 || !CLASS.matcher(deviceClass).matches()) {
      throw new InvalidSandboxSpecException("devices", "CDI class \"" + deviceClass + "\" is not"
          + " 1-63 letters, digits, '.', '-' or '_' starting with a letter");
    }
    if (name == null || !NAME.matcher(name).matches()) {
      throw new InvalidSandboxSpecException("devices", "CDI device name \"" + name + "\" is not"
          + " letters, digits, '.', '-', '_' or ':' starting and ending with a letter or digit");
    }
  }

  /**
   * @param text {@code vendor/class=name}, e.g. {@code nvidia.com/gpu=all}
   * @return the name
   * @throws InvalidSandboxSpecException naming {@code devices} when {@code text} is null or not
   *     a fully-qualified CDI name
   */
  public static CdiName parse(String text) {
    if (text == null) {
      throw new InvalidSandboxSpecException("devices", "must not be null");
    }
    int slash = text.indexOf('/');
    int eq = text.indexOf('=');
    if (slash <= 0 || eq < slash || text.indexOf('/', slash + 1) >= 0 && text.indexOf('/', slash + 1) < eq) {
      throw new InvalidSandboxSpecException("devices", "\"" + text + "\" is not a fully-qualified CDI"
          + " device name vendor.com/class=name (a host device node is Mount.device(Path))");
    }
    return new CdiName(text.substring(0, slash), text.substring(slash + 1, eq), text.substring(eq + 1));
  }

  /**
   * @param kind {@code vendor/class}
   * @return whether {@code kind} is a valid CDI kind
   */
  static boolean isKind(String kind) {
    int slash = kind.indexOf('/');
    if (slash <= 0 || kind.length() > 253 + 1 + 63) {
      return false;
    }
    String v = kind.substring(0, slash);
    String c = kind.substring(slash + 1);
    return v.length() <= 253 && VENDOR.matcher(v).matches() && c.length() <= 63 && CLASS.matcher(c).matches();
  }

  /** @return whether {@code name} is a valid device name within a kind */
  static boolean isDeviceName(String name) {
    return NAME.matcher(name).matches();
  }

  /** @return {@code vendor/class} */
  public String kind() {
    return vendor + "/" + deviceClass;
  }

  /** @return whether this asks for {@code all} */
  public boolean isAll() {
    return name.equals(ALL);
  }

  /** @return {@code vendor/class=name} */
  @Override
  public String toString() {
    return kind() + "=" + name;
  }
}
