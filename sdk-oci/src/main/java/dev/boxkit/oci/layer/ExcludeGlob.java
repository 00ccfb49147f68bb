package dev.boxkit.oci.layer;

import dev.boxkit.oci.InvalidInputException;
import java.util.regex.Pattern;

/**
 * A gitignore-like glob matched against an image path relative to the root
 * ({@code usr/lib/x.log}): {@code *} and {@code ?} stay within one segment, {@code **} spans
 * segments ({@code **}{@code /} also matches no segment), {@code [abc]} is a character class; a
 * pattern without {@code /} matches the last segment at any depth, one with a {@code /} (a leading
 * one is dropped) is anchored at the root. A match on a directory excludes its subtree.
 */
record ExcludeGlob(String glob, Pattern regex) {
  static ExcludeGlob parse(String glob) {
    if (glob == null || glob.isBlank() || glob.indexOf('\0') >= 0) {
      throw new InvalidInputException("exclude glob", glob, "must be non-blank and contain no NUL");
    }
    String g = glob.endsWith("/") && glob.length() > 1 ? glob.substring(0, glob.length() - 1) : glob;
    boolean anchored = g.indexOf('/') >= 0;
    if (g.startsWith("/")) {
      g = g.substring(1);
    }
    StringBuilder re = new StringBuilder(anchored ? "" : "(?:.*/)?");
    for (int i = 0; i < g.length(); i++) {
      char c = g.charAt(i);
      if (c == '*' && i + 1 < g.length() && g.charAt(i + 1) == '*') {
        boolean slashAfter = i + 2 < g.length() && g.charAt(i + 2) == '/';
        re.append(slashAfter ? "(?:.*/)?" : ".*");
        i += slashAfter ? 2 : 1;
      } else if (c == '*') {
        re.append("[^/]*");
      } else if (c == '?') {
        re.append("[^/]");
      } else if (c == '[') {
        int close = g.indexOf(']', i + 2);
        if (close < 0) {
          throw new InvalidInputException("exclude glob", glob, "unclosed [");
        }
        String body = g.substring(i + 1, close);
        if (body.startsWith("!")) {
          body = "^" + body.substring(1);
        }
        re.append('[').append(body.replace("\\", "\\\\").replace("[", "\\[")).append(']');
        i = close;
      } else {
        re.append(Pattern.quote(String.valueOf(c)));
      }
    }
    return new ExcludeGlob(glob, Pattern.compile(re.toString(), Pattern.DOTALL));
  }

  boolean matches(ImagePath path) {
    return !path.isRoot() && regex.matcher(path.relative()).matches();
  }
}
