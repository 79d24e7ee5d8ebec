package dev.weft.it.harness;

import com.github.dockerjava.api.exception.NotFoundException;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * Which images the Testcontainers tests run: {@code WEFT_IT_IMAGES} (environment) or
 * {@code -Dweft.it.images}:
 *
 * <ul>
 *   <li>{@code official} (default): the images of docker-compose.yml, pulled by Testcontainers
 *       when missing;
 *   <li>{@code local}: the images of docker-compose.local-images.yml, built on this machine by
 *       integration-tests/tools/build-local-images.sh. Never pulled: a missing image makes the
 *       test skip, saying which script builds it. CI runs this way (no registry is reachable).
 * </ul>
 */
public final class ContainerImages {
  /** The environment variable (or, lower-cased and dotted, the system property). */
  public static final String SELECTOR = "WEFT_IT_IMAGES";

  private ContainerImages() {}

  /** True when the local images are selected. */
  public static boolean local() {
    String value = System.getProperty("weft.it.images", System.getenv(SELECTOR));
    if (value == null || value.isBlank() || value.equalsIgnoreCase("official")) {
      return false;
    }
    if (value.equalsIgnoreCase("local")) {
      return true;
    }
    throw new IllegalArgumentException(SELECTOR + "=" + value
        + " is neither 'official' nor 'local' (see docs/deployment.md, \"Local images\")");
  }

  /** A short description for reports: which images, from which file. */
  public static String describe() {
    return local() ? "local images (" + ComposeImages.LOCAL_OVERRIDE + ")"
        : "official images (" + ComposeImages.COMPOSE_FILE + ")";
  }

  /** The image of a compose service, official or local as selected. */
  public static DockerImageName of(String service) {
    return DockerImageName.parse(
        local() ? ComposeImages.localImage(service) : ComposeImages.image(service));
  }

  /**
   * Null when the image can be used; otherwise why not (a local image that is not in the
   * engine). Official images are pulled when missing, so they are always usable.
   */
  public static String unavailableReason(DockerImageName image) {
    if (!local()) {
      return null;
    }
    try {
      DockerClientFactory.instance().client().inspectImageCmd(image.asCanonicalNameString())
          .exec();
      return null;
    } catch (NotFoundException e) {
      return "local image " + image.asCanonicalNameString() + " is not in the Docker engine ("
          + SELECTOR + "=local): build it with integration-tests/tools/build-local-images.sh";
    }
  }

  /** Applies the pull policy of the selection: never pull a local image. */
  public static GenericContainer<?> withPullPolicy(GenericContainer<?> container) {
    if (local()) {
      container.withImagePullPolicy(name -> false);
    }
    return container;
  }
}
