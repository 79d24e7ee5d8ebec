package dev.weft.it.harness;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.UncheckedIOException;

/** The images docker-compose.yml pins: the Testcontainers tests run exactly these. */
public final class ComposeImages {
  private ComposeImages() {}

  /** {@code services.<service>.image} of docker-compose.yml. */
  public static String image(String service) {
    try {
      JsonNode compose = new ObjectMapper(new YAMLFactory())
          .readTree(Repo.root().resolve("docker-compose.yml").toFile());
      JsonNode image = compose.path("services").path(service).path("image");
      if (!image.isTextual()) {
        throw new IllegalStateException("docker-compose.yml has no services." + service + ".image");
      }
      return image.asText();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
