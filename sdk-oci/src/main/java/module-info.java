/**
 * BoxKit's OCI layer: the image model ({@code dev.boxkit.oci}), its JSON, layers, OCI layouts,
 * docker archives, registries, unpacking and validation, and the exception root
 * {@link dev.boxkit.BoxKitException}.
 *
 * <p>Jackson is part of the API ({@code OciJson.reader()} returns an {@code ObjectReader}), and so
 * is SLF4J ({@code FileTrees.deleteQuietly} takes a {@code Logger}): both are required
 * transitively. The model package is opened to Jackson, which maps its records.
 */
module dev.boxkit.oci {
  requires transitive com.fasterxml.jackson.databind;
  requires transitive org.slf4j;
  requires java.net.http;
  requires org.apache.commons.compress;
  requires org.apache.commons.io;
  requires com.github.luben.zstd_jni;

  exports dev.boxkit;
  exports dev.boxkit.oci;
  exports dev.boxkit.oci.elf;
  exports dev.boxkit.oci.io;
  exports dev.boxkit.oci.json;
  exports dev.boxkit.oci.layer;
  exports dev.boxkit.oci.layout;
  exports dev.boxkit.oci.registry;
  exports dev.boxkit.oci.tarball;
  exports dev.boxkit.oci.unpack;
  exports dev.boxkit.oci.validate;

  opens dev.boxkit.oci to com.fasterxml.jackson.databind;
}
