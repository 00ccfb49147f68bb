package dev.boxkit.oci.registry;

import com.fasterxml.jackson.databind.JsonNode;
import dev.boxkit.oci.MediaType;
import java.io.IOException;
import java.util.List;

/**
 * Guards against content confusion (CVE-2021-41190, image-spec v1.0.2): the document's own
 * {@code mediaType}, or its shape when it has none, must agree with the Content-Type it was
 * served with, and a document may not be both a manifest and an index.
 */
final class ManifestCheck {

  private ManifestCheck() {}

  /** @throws RegistryException naming {@code subject} when type and content disagree */
  static void check(String subject, String contentType, byte[] body) {
    JsonNode doc;
    try {
      doc = dev.boxkit.oci.json.OciJson.reader().readTree(body);
    } catch (IOException e) {
      throw fail(subject, "manifest is not JSON: " + e.getMessage());
    }
    if (doc == null || !doc.isObject()) {
      throw fail(subject, "manifest is not a JSON object");
    }
    boolean hasManifests = doc.has("manifests");
    boolean hasLayers = doc.has("layers") || doc.has("config");
    if (hasManifests && hasLayers) {
      throw fail(subject, "document has both \"manifests\" and \"layers\"/\"config\": ambiguous");
    }
    JsonNode declared = doc.get("mediaType");
    if (declared != null && !declared.isNull()) {
      if (!declared.asText().equals(contentType)) {
        throw fail(subject, "Content-Type " + contentType + " differs from the document's mediaType "
            + declared.asText());
      }
    }
    if (MediaType.isIndex(contentType) && hasLayers || MediaType.isManifest(contentType) && hasManifests) {
      throw fail(subject, "Content-Type " + contentType + " does not match the document's fields");
    }
  }

  /** @return the media type without parameters ({@code ; charset=...}) */
  static String bare(String contentType) {
    int semi = contentType.indexOf(';');
    return (semi < 0 ? contentType : contentType.substring(0, semi)).strip();
  }

  private static RegistryException fail(String subject, String why) {
    return new RegistryException(subject, why, 0, List.of(), null);
  }
}
