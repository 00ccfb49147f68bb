package dev.boxkit.oci;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;

/**
 * A content digest {@code algorithm:encoded} as defined by image-spec {@code descriptor.md}
 * ("Digests"). Only the registered algorithms {@code sha256} (64 lowercase hex chars) and
 * {@code sha512} (128 lowercase hex chars) are accepted.
 *
 * @param algorithm {@code "sha256"} or {@code "sha512"}
 * @param hex the lowercase hex encoding of the hash
 */
public record Digest(String algorithm, String hex) implements Comparable<Digest> {
  /** The algorithm every digest BoxKit computes uses unless told otherwise. */
  public static final String SHA256 = "sha256";
  /** The other registered algorithm. */
  public static final String SHA512 = "sha512";

  /**
   * @throws InvalidInputException if the algorithm is not registered or the hex is malformed
   */
  public Digest {
    if (algorithm == null || hex == null) {
      throw new InvalidInputException("digest", algorithm + ":" + hex, "algorithm and hex are required");
    }
    int len = switch (algorithm) {
      case SHA256 -> 64;
      case SHA512 -> 128;
      default -> throw new InvalidInputException("digest", algorithm + ":" + hex,
          "unsupported algorithm \"" + algorithm + "\" (sha256 or sha512)");
    };
    if (hex.length() != len || !isLowerHex(hex)) {
      throw new InvalidInputException("digest", algorithm + ":" + hex,
          algorithm + " needs " + len + " lowercase hex characters");
    }
  }

  /**
   * Parses {@code algorithm:hex}.
   *
   * @param text e.g. {@code sha256:e3b0c442...}
   * @return the digest
   * @throws InvalidInputException naming the text when it is not a valid digest
   */
  @JsonCreator
  public static Digest parse(String text) {
    if (text == null) {
      throw new InvalidInputException("digest", null, "must not be null");
    }
    int colon = text.indexOf(':');
    if (colon <= 0) {
      throw new InvalidInputException("digest", text, "expected algorithm:hex");
    }
    return new Digest(text.substring(0, colon), text.substring(colon + 1));
  }

  /** @return the sha256 digest of {@code bytes} */
  public static Digest sha256(byte[] bytes) {
    return of(SHA256, bytes);
  }

  /** @return the sha256 digest of the UTF-8 encoding of {@code text} */
  public static Digest sha256(String text) {
    return sha256(text.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * @param algorithm {@code sha256} or {@code sha512}
   * @param bytes the content
   * @return the digest of {@code bytes}
   */
  public static Digest of(String algorithm, byte[] bytes) {
    MessageDigest md = newMessageDigest(algorithm);
    return new Digest(algorithm, HexFormat.of().formatHex(md.digest(bytes)));
  }

  /**
   * Reads {@code in} to its end and digests it; does not close it.
   *
   * @throws IOException if reading fails
   */
  public static Digest sha256(InputStream in) throws IOException {
    MessageDigest md = newMessageDigest(SHA256);
    byte[] buf = new byte[64 * 1024];
    for (int n; (n = in.read(buf)) != -1; ) {
      md.update(buf, 0, n);
    }
    return fromHash(SHA256, md.digest());
  }

  /** @return a digest wrapping a finished hash of {@code algorithm} */
  public static Digest fromHash(String algorithm, byte[] hash) {
    return new Digest(algorithm, HexFormat.of().formatHex(hash));
  }

  /**
   * @param algorithm {@code sha256} or {@code sha512}
   * @return a fresh {@link MessageDigest} for it
   * @throws InvalidInputException for another algorithm
   */
  public static MessageDigest newMessageDigest(String algorithm) {
    String jca = switch (algorithm.toLowerCase(Locale.ROOT)) {
      case SHA256 -> "SHA-256";
      case SHA512 -> "SHA-512";
      default -> throw new InvalidInputException("digest algorithm", algorithm, "sha256 or sha512");
    };
    try {
      return MessageDigest.getInstance(jca);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("JDK lacks " + jca, e);
    }
  }

  /** @return a fresh {@link MessageDigest} for this digest's algorithm */
  public MessageDigest newMessageDigest() {
    return newMessageDigest(algorithm);
  }

  /** @return the first 12 hex characters, as short ids are shown by docker */
  public String shortHex() {
    return hex.substring(0, 12);
  }

  @Override
  public int compareTo(Digest o) {
    return toString().compareTo(o.toString());
  }

  /** @return {@code algorithm:hex}, also its JSON form */
  @JsonValue
  @Override
  public String toString() {
    return algorithm + ":" + hex;
  }

  private static boolean isLowerHex(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
        return false;
      }
    }
    return true;
  }
}
