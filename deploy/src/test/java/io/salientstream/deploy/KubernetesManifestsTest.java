package io.salientstream.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.salientstream.cli.SalientStream;
import io.salientstream.cli.ServicesCli;
import io.salientstream.deploy.Manifests.Doc;
import io.salientstream.stack.topics.TopicSpec;
import io.salientstream.stack.topics.Topics;
import io.strimzi.api.kafka.model.topic.KafkaTopic;
import io.strimzi.api.kafka.model.user.KafkaUser;
import io.strimzi.api.kafka.model.user.KafkaUserScramSha512ClientAuthentication;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * Every manifest in {@code deploy/kubernetes} read into the typed Kubernetes model (fabric8 for
 * core, apps and batch; Strimzi's api for KafkaTopic and KafkaUser), refusing unknown kinds and
 * unknown fields, then checked against what the repository builds: the images and their tag, the
 * launchers' commands and options, the topic catalogue, and the users the pods take credentials
 * from.
 */
class KubernetesManifestsTest {

  static final String TENANT = "acme.";
  static List<Doc> docs;

  @BeforeAll
  static void readAll() {
    docs = Manifests.all();
  }

  @Test
  void everyManifestReadsIntoItsTypedModelWithoutUnknownFields() {
    assertThat(Manifests.files())
        .extracting(p -> p.getFileName().toString())
        .contains(
            "salience-analyzer.yaml",
            "pruner.yaml",
            "registry.yaml",
            "trainer-job.yaml",
            "kafka-topics.yaml",
            "kafka-users.yaml",
            "client-config.yaml");
    for (Path f : Manifests.files()) {
      assertThat(docs).as("documents of %s", f).anyMatch(d -> d.file().equals(f));
    }
    assertThat(docs.stream().map(Doc::kind).collect(Collectors.toSet()))
        .contains(
            "StatefulSet", "Deployment", "Job", "Service", "ConfigMap", "KafkaTopic", "KafkaUser");
  }

  /** The check refuses what it should: a misspelt field, a wrong type, an unknown kind. */
  @Test
  void theCheckRefusesUnknownFieldsWrongTypesAndUnknownKinds() throws Exception {
    JsonNode typo =
        Manifests.YAML.readTree(
            "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: x}\nspec:\n  template:\n"
                + "    spec:\n      containers:\n        - {name: a, image: b, imagePullPolicyy: Always}\n");
    assertThatThrownBy(() -> Manifests.read(Path.of("typo.yaml"), 0, typo))
        .hasMessageContaining("typo.yaml document 1")
        .hasMessageContaining("imagePullPolicyy");
    JsonNode strimziTypo =
        Manifests.YAML.readTree(
            "apiVersion: kafka.strimzi.io/v1\nkind: KafkaTopic\nmetadata: {name: t}\n"
                + "spec: {partitions: 3, replica: 3}\n");
    assertThatThrownBy(() -> Manifests.read(Path.of("t.yaml"), 0, strimziTypo))
        .hasMessageContaining("replica");
    JsonNode wrongType =
        Manifests.YAML.readTree(
            "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {ports: {name: http}}\n");
    assertThatThrownBy(() -> Manifests.read(Path.of("s.yaml"), 0, wrongType))
        .hasMessageContaining("s.yaml document 1");
    JsonNode unknownKind =
        Manifests.YAML.readTree("apiVersion: v1\nkind: Pdo\nmetadata: {name: p}\n");
    assertThatThrownBy(() -> Manifests.read(Path.of("p.yaml"), 0, unknownKind))
        .hasMessageContaining("unknown kind");
  }

  @Test
  void podsRunThisVersionsImagesAsNonRootOnAReadOnlyRootWithHealthProbes() {
    String tag = Manifests.imageTag();
    int workloads = 0;
    for (Doc d : docs) {
      PodTemplateSpec pod = Manifests.podTemplate(d.resource());
      if (pod == null) {
        continue;
      }
      workloads++;
      var security = pod.getSpec().getSecurityContext();
      assertThat(security).as(d.where()).isNotNull();
      assertThat(security.getRunAsNonRoot()).as("%s runAsNonRoot", d.where()).isTrue();
      assertThat(security.getRunAsUser()).as("%s runAsUser", d.where()).isEqualTo(10001L);
      for (Container c : pod.getSpec().getContainers()) {
        String where = d.where() + " container " + c.getName();
        assertThat(c.getImage())
            .as(where)
            .isIn("salientstream-services:" + tag, "salientstream-trainer:" + tag);
        assertThat(c.getSecurityContext().getReadOnlyRootFilesystem()).as(where).isTrue();
        assertThat(c.getSecurityContext().getAllowPrivilegeEscalation()).as(where).isFalse();
        assertThat(c.getVolumeMounts())
            .as("%s mounts a writable /tmp", where)
            .anyMatch(m -> m.getMountPath().equals("/tmp"));
        assertThat(c.getResources().getRequests()).as("%s resource requests", where).isNotEmpty();
        if (c.getImage().startsWith("salientstream-services:")) {
          String httpPort = optionValue(c.getArgs(), "--http-port");
          assertThat(httpPort).as("%s --http-port", where).isNotNull();
          var port =
              c.getPorts().stream()
                  .filter(p -> "http".equals(p.getName()))
                  .findFirst()
                  .orElseThrow();
          assertThat(port.getContainerPort()).as(where).isEqualTo(Integer.parseInt(httpPort));
          for (Probe probe : List.of(c.getReadinessProbe(), c.getLivenessProbe())) {
            assertThat(probe.getHttpGet().getPath()).as(where).isEqualTo("/health");
            assertThat(probe.getHttpGet().getPort().getStrVal()).as(where).isEqualTo("http");
          }
        }
      }
    }
    assertThat(workloads).isEqualTo(5);
  }

  @Test
  void containerArgumentsParseWithTheLaunchers() {
    int parsed = 0;
    for (Doc d : docs) {
      PodTemplateSpec pod = Manifests.podTemplate(d.resource());
      if (pod == null) {
        continue;
      }
      for (Container c : pod.getSpec().getContainers()) {
        CommandLine launcher =
            c.getImage().startsWith("salientstream-trainer:")
                ? SalientStream.commandLine()
                : ServicesCli.commandLine();
        String[] args = c.getArgs().toArray(String[]::new);
        CommandLine.ParseResult r = launcher.parseArgs(args);
        assertThat(r.hasSubcommand()).as("%s: %s", d.where(), c.getArgs()).isTrue();
        parsed++;
      }
    }
    assertThat(parsed).isEqualTo(5);
  }

  /** The KafkaTopics are the catalogue of {@code topics create --tenant acme.}, nothing else. */
  @Test
  void strimziTopicsAreTheTopicCatalogue() {
    Topics topics = Topics.withPrefix(TENANT);
    Map<String, String> expected = new TreeMap<>();
    for (TopicSpec<?> spec : Topics.specs()) {
      expected.put(
          topics.name(spec),
          spec.partitions() + " partitions, " + (spec.compacted() ? "compact" : "delete"));
    }
    Map<String, String> manifest = new TreeMap<>();
    for (KafkaTopic t : Manifests.ofType(docs, KafkaTopic.class)) {
      String name =
          t.getSpec().getTopicName() != null
              ? t.getSpec().getTopicName()
              : t.getMetadata().getName();
      assertThat(t.getMetadata().getLabels()).containsEntry("strimzi.io/cluster", "kafka");
      manifest.put(
          name,
          t.getSpec().getPartitions()
              + " partitions, "
              + t.getSpec().getConfig().get("cleanup.policy"));
    }
    assertThat(manifest).isEqualTo(expected);
  }

  /** Every secret a pod reads Kafka credentials from is a Strimzi SCRAM user with ACLs. */
  @Test
  void podsTakeCredentialsFromStrimziUsersAndTheirConfigFromTheConfigMap() {
    Map<String, KafkaUser> users =
        Manifests.ofType(docs, KafkaUser.class).stream()
            .collect(Collectors.toMap(u -> u.getMetadata().getName(), u -> u));
    Set<String> configMaps =
        Manifests.ofType(docs, ConfigMap.class).stream()
            .map(c -> c.getMetadata().getName())
            .collect(Collectors.toSet());
    for (KafkaUser u : users.values()) {
      assertThat(u.getSpec().getAuthentication())
          .isInstanceOf(KafkaUserScramSha512ClientAuthentication.class);
      assertThat(u.getSpec().getAuthorization()).isNotNull();
    }
    for (Doc d : docs) {
      PodTemplateSpec pod = Manifests.podTemplate(d.resource());
      if (pod == null) {
        continue;
      }
      Container c = pod.getSpec().getContainers().get(0);
      EnvVar jaas =
          c.getEnv().stream()
              .filter(e -> e.getName().equals("KAFKA_SASL_JAAS_CONFIG"))
              .findFirst()
              .orElseThrow(() -> new AssertionError(d.where() + ": no KAFKA_SASL_JAAS_CONFIG"));
      var ref = jaas.getValueFrom().getSecretKeyRef();
      assertThat(users).as(d.where()).containsKey(ref.getName());
      assertThat(ref.getKey()).isEqualTo("sasl.jaas.config");
      pod.getSpec().getVolumes().stream()
          .filter(v -> v.getConfigMap() != null)
          .forEach(v -> assertThat(configMaps).as(d.where()).contains(v.getConfigMap().getName()));
    }
  }

  static String optionValue(List<String> args, String option) {
    int i = args.indexOf(option);
    return i >= 0 && i + 1 < args.size() ? args.get(i + 1) : null;
  }
}
