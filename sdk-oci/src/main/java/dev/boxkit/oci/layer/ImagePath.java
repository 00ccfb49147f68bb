package dev.boxkit.oci.layer;

import dev.boxkit.oci.InvalidInputException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * An absolute, normalised path inside a container image filesystem, such as {@code /usr/bin/env}.
 *
 * <p>Normalisation drops empty segments and {@code .}, and resolves {@code ..} against the
 * preceding segment; a {@code ..} that would climb above {@code /} is rejected rather than clamped,
 * because it is almost always a bug or an attack (image-spec {@code layer.md} requires entries
 * to stay inside the root). The root itself is {@code "/"}. Names are compared segment by segment,
 * so a directory sorts right before its own children.
 *
 * @param value the normalised path, always starting with {@code /}, never ending with {@code /}
 *     except for the root
 */
public record ImagePath(String value) implements Comparable<ImagePath> {
  /** Longest name of one segment, in UTF-8 bytes: Linux's {@code NAME_MAX}. */
  public static final int NAME_MAX_BYTES = 255;

  /** The root directory {@code /}. */
  public static final ImagePath ROOT = new ImagePath("/");

  /**
   * Normalises {@code value}.
   *
   * @throws InvalidInputException (field {@code "image path"}) when the value is null, empty,
   *     relative, contains NUL, has a segment longer than {@value #NAME_MAX_BYTES} UTF-8 bytes, or
   *     climbs above {@code /} with {@code ..}
   */
  public ImagePath {
    value = normalise(value);
  }

  /**
   * Parses and normalises an absolute container path.
   *
   * @param path e.g. {@code "/usr//lib/./x"} (becomes {@code /usr/lib/x})
   * @return the normalised path
   * @throws InvalidInputException naming the path when it is not a valid absolute path
   */
  public static ImagePath parse(String path) {
    return new ImagePath(path);
  }

  private static String normalise(String raw) {
    if (raw == null) {
      throw new InvalidInputException("image path", null, "must not be null");
    }
    if (raw.isEmpty()) {
      throw new InvalidInputException("image path", raw, "must not be empty");
    }
    if (raw.indexOf('\0') >= 0) {
      throw new InvalidInputException("image path", raw, "must not contain NUL");
    }
    if (raw.charAt(0) != '/') {
      throw new InvalidInputException("image path", raw, "must be absolute (start with /)");
    }
    List<String> out = new ArrayList<>();
    for (String seg : raw.split("/")) {
      if (seg.isEmpty() || seg.equals(".")) {
        continue;
      }
      if (seg.equals("..")) {
        if (out.isEmpty()) {
          throw new InvalidInputException("image path", raw, "\"..\" climbs above /");
        }
        out.remove(out.size() - 1);
        continue;
      }
      if (seg.getBytes(StandardCharsets.UTF_8).length > NAME_MAX_BYTES) {
        throw new InvalidInputException("image path", raw, "segment \"" + seg + "\" is longer than "
            + NAME_MAX_BYTES + " bytes (Linux NAME_MAX), so it could never be unpacked");
      }
      out.add(seg);
    }
    return "/" + String.join("/", out);
  }

  /** @return true for {@code /} */
  public boolean isRoot() {
    return value.length() == 1;
  }

  /** @return the segments below the root, e.g. {@code [usr, bin]}; empty for the root */
  public List<String> segments() {
    return isRoot() ? List.of() : List.of(value.substring(1).split("/"));
  }

  /** @return the last segment, e.g. {@code env} for {@code /usr/bin/env}; {@code ""} for the root */
  public String fileName() {
    return value.substring(value.lastIndexOf('/') + 1);
  }

  /**
   * @return the enclosing directory; the root's parent is the root
   */
  public ImagePath parent() {
    int slash = value.lastIndexOf('/');
    return slash <= 0 ? ROOT : new ImagePath(value.substring(0, slash));
  }

  /**
   * Resolves a relative path below this one.
   *
   * @param relative e.g. {@code "lib/x"}; {@code ..} may not climb above {@code /}
   * @return the normalised result
   * @throws InvalidInputException when the result is not a valid path
   */
  public ImagePath resolve(String relative) {
    if (relative == null) {
      throw new InvalidInputException("image path", null, "must not be null");
    }
    return new ImagePath(isRoot() ? "/" + relative : value + "/" + relative);
  }

  /** @return true when {@code other} is this path or one of its ancestors */
  public boolean startsWith(ImagePath other) {
    return other.isRoot() || value.equals(other.value) || value.startsWith(other.value + "/");
  }

  /**
   * @return the ancestors from the top down, excluding the root and this path; e.g.
   *     {@code [/usr, /usr/bin]} for {@code /usr/bin/env}
   */
  public List<ImagePath> ancestors() {
    List<ImagePath> result = new ArrayList<>();
    for (ImagePath p = parent(); !p.isRoot(); p = p.parent()) {
      result.add(p);
    }
    Collections.reverse(result);
    return result;
  }

  /** @return the path relative to the root, as tar stores it: {@code usr/bin/env}; "" for the root */
  public String relative() {
    return value.substring(1);
  }

  @Override
  public int compareTo(ImagePath o) {
    // Segment-wise: "/a" < "/a/b" < "/a-b", so each directory directly precedes its subtree.
    String a = value;
    String b = o.value;
    int i = 1;
    int j = 1;
    while (i < a.length() && j < b.length()) {
      int ei = a.indexOf('/', i);
      int ej = b.indexOf('/', j);
      if (ei < 0) {
        ei = a.length();
      }
      if (ej < 0) {
        ej = b.length();
      }
      int c = a.substring(i, ei).compareTo(b.substring(j, ej));
      if (c != 0) {
        return c;
      }
      i = ei + 1;
      j = ej + 1;
    }
    return Integer.compare(a.length() - i, b.length() - j);
  }

  /** @return the normalised path */
  @Override
  public String toString() {
    return value;
  }
}
