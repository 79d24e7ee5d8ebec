package dev.weft.it.harness;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The images the compose files pin: docker-compose.yml names the official images, and the
 * override docker-compose.local-images.yml the images built on this machine by
 * integration-tests/tools/build-local-images.sh. The Testcontainers tests run exactly these.
 */
public final class ComposeImages {
  /** The compose file of the official images. */
  public static final String COMPOSE_FILE = "docker-compose.yml";
  /** The override that swaps in the local images. */
  public static final String LOCAL_OVERRIDE = "docker-compose.local-images.yml";

  private ComposeImages() {}

  /** {@code services.<service>.image} of docker-compose.yml. */
  public static String image(String service) {
    return image(COMPOSE_FILE, service);
  }

  /** {@code services.<service>.image} of docker-compose.local-images.yml. */
  public static String localImage(String service) {
    return image(LOCAL_OVERRIDE, service);
  }

  private static String image(String file, String service) {
    try {
      JsonNode compose = new ObjectMapper(new YAMLFactory())
          .readTree(Repo.root().resolve(file).toFile());
      JsonNode image = compose.path("services").path(service).path("image");
      if (!image.isTextual()) {
        throw new IllegalStateException(file + " has no services." + service + ".image");
      }
      return image.asText();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
