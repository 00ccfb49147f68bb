package dev.boxkit.oci.registry;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A parsed {@code WWW-Authenticate} header (RFC 7235), e.g.
 * {@code Bearer realm="https://auth.example/token",service="registry",scope="repository:a:pull"}.
 *
 * @param scheme lowercase scheme, {@code basic} or {@code bearer} (others are kept as given)
 * @param params the auth-params with lowercase names
 */
record AuthChallenge(String scheme, Map<String, String> params) {
  AuthChallenge {
    params = Map.copyOf(params);
  }

  /** @return the challenge, or null when the header is absent or has no scheme */
  static AuthChallenge parse(String header) {
    if (header == null) {
      return null;
    }
    String h = header.strip();
    int sp = h.indexOf(' ');
    String scheme = (sp < 0 ? h : h.substring(0, sp)).toLowerCase(Locale.ROOT);
    if (scheme.isEmpty()) {
      return null;
    }
    Map<String, String> params = new LinkedHashMap<>();
    int i = sp < 0 ? h.length() : sp + 1;
    while (i < h.length()) {
      while (i < h.length() && (h.charAt(i) == ' ' || h.charAt(i) == ',')) {
        i++;
      }
      int eq = h.indexOf('=', i);
      if (eq < 0) {
        break;
      }
      String name = h.substring(i, eq).strip().toLowerCase(Locale.ROOT);
      i = eq + 1;
      StringBuilder value = new StringBuilder();
      if (i < h.length() && h.charAt(i) == '"') {
        i++;
        while (i < h.length() && h.charAt(i) != '"') {
          if (h.charAt(i) == '\\' && i + 1 < h.length()) {
            i++;
          }
          value.append(h.charAt(i++));
        }
        i++;
      } else {
        while (i < h.length() && h.charAt(i) != ',') {
          value.append(h.charAt(i++));
        }
      }
      params.put(name, value.toString().strip());
    }
    return new AuthChallenge(scheme, params);
  }

  String param(String name) {
    return params.get(name);
  }
}
