package dev.weft.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.weft.it.harness.ComposeImages;
import dev.weft.it.harness.Repo;
import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The Testcontainers tests take their images from docker-compose.yml; the tests without Docker
 * build the Collector and Jaeger from Go modules. Both must be pinned exactly and name the same
 * versions, or the two kinds of test would test different software. The override with the local
 * images (docker-compose.local-images.yml) changes nothing but image names, keeps the versions,
 * and leaves out only Tempo and Grafana, which have no local build.
 */
class ComposeImagesIT {
  private static final Pattern EXACT = Pattern.compile("[a-z0-9./-]+:(\\d+\\.\\d+\\.\\d+)");

  @Test
  void collectorImageIsPinnedToTheVersionTheTestCollectorIsBuiltFrom() throws IOException {
    String image = ComposeImages.image("otel-collector");
    assertThat(image).startsWith("otel/opentelemetry-collector-contrib:").matches(EXACT);
    String tag = tag(image);
    String script = Files.readString(Repo.root().resolve("integration-tests/tools/build-otelcol.sh"));
    assertThat(script).as("BUILDER_VERSION in build-otelcol.sh")
        .contains("BUILDER_VERSION=\"v" + tag + "\"");
    String manifest =
        Files.readString(Repo.root().resolve("integration-tests/tools/otelcol-builder.yaml"));
    List<String> contrib = manifest.lines()
        .filter(l -> l.contains("gomod: github.com/open-telemetry/opentelemetry-collector-contrib/"))
        .toList();
    assertThat(contrib).as("contrib components in otelcol-builder.yaml").isNotEmpty()
        .allSatisfy(l -> assertThat(l).endsWith(" v" + tag));
  }

  @Test
  void jaegerImageIsPinnedToTheReleaseTheTestJaegerIsBuiltFrom() throws IOException {
    String image = ComposeImages.image("jaeger");
    assertThat(image).startsWith("jaegertracing/jaeger:").matches(EXACT);
    String script = Files.readString(Repo.root().resolve("integration-tests/tools/build-jaeger.sh"));
    assertThat(script).as("JAEGER_RELEASE in build-jaeger.sh")
        .contains("JAEGER_RELEASE=\"" + tag(image) + "\"");
  }

  @Test
  void theLocalOverrideChangesOnlyImageNamesAndKeepsTheVersions() throws IOException {
    ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
    JsonNode base = yaml.readTree(Repo.root().resolve(ComposeImages.COMPOSE_FILE).toFile())
        .path("services");
    JsonNode override = yaml.readTree(Repo.root().resolve(ComposeImages.LOCAL_OVERRIDE).toFile());
    assertThat(fields(override)).as("top-level keys of the override").containsExactly("services");
    JsonNode services = override.path("services");
    assertThat(fields(services)).as("services of the override")
        .containsExactlyInAnyOrderElementsOf(fields(base));
    for (Map.Entry<String, JsonNode> e : services.properties()) {
      String service = e.getKey();
      if (service.equals("tempo") || service.equals("grafana")) {
        assertThat(fields(e.getValue())).as(service + " (no local build)")
            .containsExactly("profiles");
        assertThat(e.getValue().path("profiles").get(0).asText()).isEqualTo("official-images");
        continue;
      }
      assertThat(fields(e.getValue())).as("what the override sets for " + service)
          .containsExactly("image");
      String local = e.getValue().path("image").asText();
      assertThat(local).as(service).startsWith("weft-local/");
      if (base.path(service).has("image")) {
        assertThat(tag(local)).as("version of " + local)
            .isEqualTo(tag(base.path(service).path("image").asText()));
      }
    }
  }

  private static List<String> fields(JsonNode node) {
    return node.properties().stream().map(Map.Entry::getKey).toList();
  }

  private static String tag(String image) {
    Matcher m = EXACT.matcher(image);
    assertThat(m.matches()).as("%s pinned to an exact x.y.z tag", image).isTrue();
    return m.group(1);
  }
}
