package io.salientstream.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.salientstream.cli.SalientStream;
import io.salientstream.cli.ServicesCli;
import java.io.Reader;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import picocli.CommandLine;

/**
 * {@code deploy/compose.yaml}: the services the stack needs, each on this version's images, with a
 * command the launcher parses, a restart policy, a volume for its state, and (long-running
 * services) a health check on the port the command serves {@code /health} on.
 */
class ComposeFileTest {

  private static final Pattern VARIABLE = Pattern.compile("\\$\\{([A-Z0-9_]+):-([^}]*)}");

  /** {@code ${NAME:-default}} replaced by its default, as compose does when NAME is unset. */
  static String withDefaults(String s) {
    Matcher m = VARIABLE.matcher(s);
    return m.replaceAll(r -> Matcher.quoteReplacement(r.group(2)));
  }

  /**
   * The services of compose.yaml, read the way compose reads it: SnakeYAML resolves the anchors,
   * aliases and merge keys ({@code <<: *services}) that Jackson's YAML parser leaves unresolved.
   */
  static Map<String, JsonNode> services() throws Exception {
    Object loaded;
    try (Reader in = Files.newBufferedReader(Manifests.DEPLOY.resolve("compose.yaml"))) {
      loaded = new Yaml(new SafeConstructor(new LoaderOptions())).load(in);
    }
    JsonNode compose = Manifests.JSON.valueToTree(loaded);
    Map<String, JsonNode> out = new TreeMap<>();
    compose.path("services").fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue()));
    return out;
  }

  @Test
  void theStackHasEveryServiceOnThisVersionsImagesWithCommandsTheLaunchersParse() throws Exception {
    Map<String, JsonNode> services = services();
    assertThat(services)
        .containsKeys(
            "kafka",
            "registry",
            "topics",
            "analyzer",
            "pruner",
            "dashboard",
            "trainer-1",
            "trainer-2");
    String tag = Manifests.imageTag();
    for (var e : services.entrySet()) {
      JsonNode s = e.getValue();
      String image = withDefaults(s.path("image").asText());
      assertThat(image)
          .as(e.getKey())
          .isIn(
              "localhost/salientstream-services:" + tag, "localhost/salientstream-trainer:" + tag);
      List<String> command = new ArrayList<>();
      s.path("command").forEach(n -> command.add(withDefaults(n.asText())));
      CommandLine launcher =
          image.contains("trainer") ? SalientStream.commandLine() : ServicesCli.commandLine();
      assertThat(launcher.parseArgs(command.toArray(String[]::new)).hasSubcommand())
          .as("%s: %s", e.getKey(), command)
          .isTrue();
      assertThat(s.path("restart").asText())
          .as("%s restart policy", e.getKey())
          .isIn("unless-stopped", "always", "on-failure");
      assertThat(s.path("read_only").asBoolean()).as("%s read-only root", e.getKey()).isTrue();
      boolean oneShot = e.getKey().equals("topics") || image.contains("trainer");
      // every service with state keeps it on a volume; the topics job and the dashboard (it
      // rebuilds its
      // views from the topics at each start) have none
      if (!e.getKey().equals("topics") && !e.getKey().equals("dashboard")) {
        assertThat(s.path("volumes").size()).as("%s state volume", e.getKey()).isEqualTo(1);
        assertThat(s.path("volumes").get(0).asText())
            .as(e.getKey())
            .endsWith(":/var/lib/salientstream");
      }
      if (!oneShot) {
        JsonNode health = s.path("healthcheck");
        assertThat(health.path("test").toString())
            .as("%s health check", e.getKey())
            .contains("/opt/salientstream/bin/healthcheck");
        String port = KubernetesManifestsTest.optionValue(command, "--http-port");
        assertThat(port).as("%s --http-port", e.getKey()).isNotNull();
        assertThat(s.path("environment").path("HEALTH_PORT").asText())
            .as("%s HEALTH_PORT is the port of /health", e.getKey())
            .isEqualTo(port);
      }
    }
  }
}
