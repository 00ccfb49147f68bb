package dev.boxkit.samples.junit;

import dev.boxkit.image.Image;
import dev.boxkit.image.ImageBuilder;
import dev.boxkit.image.Layer;
import dev.boxkit.oci.layer.EntryAttributes;
import dev.boxkit.oci.layer.FileMode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/**
 * The program under test: a small static web site with a CGI script, served by BusyBox
 * {@code httpd} from an image that holds nothing but BusyBox and the site.
 */
public final class WebSite {
  /** The site's document root inside the image. */
  public static final String DOCROOT = "/www";

  private static final String INDEX = "<html><body><h1>BoxKit</h1></body></html>\n";
  private static final String GREET_CGI = String.join("\n",
      "#!/bin/sh",
      "echo 'Content-Type: text/plain'",
      "echo",
      "echo \"hello, ${QUERY_STRING:-stranger}\"",
      "");

  private WebSite() {}

  /**
   * @param busybox host path of a BusyBox binary (static or dynamic: its libraries come along)
   * @return a builder for the image: BusyBox with {@code sh}, {@code httpd} and {@code wget}
   *     links, and the site under {@link #DOCROOT}
   */
  public static ImageBuilder image(Path busybox) {
    String bb = busybox.toString();
    return Image.builder()
        .layer(Layer.fromExecutables(busybox))
        .layer(Layer.of("busybox applets", b -> {
          for (String applet : List.of("sh", "httpd", "wget", "cat", "ls", "touch", "id")) {
            b.addSymlink("/bin/" + applet, bb);
          }
        }))
        .layer(Layer.of("site", b -> b
            .addFile(DOCROOT + "/index.html", INDEX.getBytes(StandardCharsets.UTF_8))
            .addFile(DOCROOT + "/cgi-bin/greet", GREET_CGI.getBytes(StandardCharsets.UTF_8),
                EntryAttributes.DEFAULTS.withMode(FileMode.of(0755)))))
        .env("PATH", "/bin")
        .workingDir(DOCROOT);
  }

  /**
   * @param port TCP port to listen on, on 127.0.0.1
   * @return the server's command line: foreground, logging to stderr
   */
  public static List<String> serverCommand(int port) {
    return List.of("httpd", "-f", "-vv", "-p", "127.0.0.1:" + port, "-h", DOCROOT);
  }

  /** @return the page served at {@code /} */
  public static String indexPage() {
    return INDEX;
  }
}
