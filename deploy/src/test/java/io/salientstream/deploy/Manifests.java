package io.salientstream.deploy;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.strimzi.api.kafka.model.topic.KafkaTopic;
import io.strimzi.api.kafka.model.user.KafkaUser;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Reads the deployment files into typed models: every Kubernetes manifest into its fabric8 (core,
 * apps, batch) or Strimzi class, refusing kinds it does not know and fields the model does not
 * have.
 */
final class Manifests {

  private Manifests() {}

  /** The deployment folder: the module's own directory (Maven runs tests there). */
  static final Path DEPLOY = Path.of("").toAbsolutePath();

  static final Path KUBERNETES = DEPLOY.resolve("kubernetes");

  static final ObjectMapper YAML =
      new ObjectMapper(new YAMLFactory())
          .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, true);

  static final ObjectMapper JSON = JsonMapper.builder().build();

  /** {@code apiVersion/kind} → model class. */
  static final Map<String, Class<?>> KINDS =
      Map.of(
          "v1/Service",
          Service.class,
          "v1/ConfigMap",
          ConfigMap.class,
          "v1/Secret",
          Secret.class,
          "v1/PersistentVolumeClaim",
          PersistentVolumeClaim.class,
          "apps/v1/StatefulSet",
          StatefulSet.class,
          "apps/v1/Deployment",
          Deployment.class,
          "batch/v1/Job",
          Job.class,
          HasMetadata.getApiVersion(KafkaTopic.class) + "/KafkaTopic",
          KafkaTopic.class,
          HasMetadata.getApiVersion(KafkaUser.class) + "/KafkaUser",
          KafkaUser.class);

  /** One document of a manifest file, read into its model. */
  record Doc(Path file, int index, String kind, Object resource) {
    String where() {
      return KUBERNETES.relativize(file) + " document " + (index + 1) + " (" + kind + ")";
    }
  }

  /** The project version the images are tagged with (without -SNAPSHOT). */
  static String imageTag() {
    try (InputStream in = Manifests.class.getResourceAsStream("/deploy-test.properties")) {
      Properties p = new Properties();
      p.load(in);
      return p.getProperty("project.version").replace("-SNAPSHOT", "");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static List<Path> files() {
    try (Stream<Path> s = Files.list(KUBERNETES)) {
      return s.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The YAML documents of a file (empty ones skipped). */
  static List<JsonNode> yamlDocuments(Path file) {
    try {
      List<JsonNode> docs = new ArrayList<>();
      try (var it = YAML.readerFor(JsonNode.class).<JsonNode>readValues(file.toFile())) {
        while (it.hasNext()) {
          JsonNode n = it.next();
          if (n != null && !n.isNull() && !n.isEmpty()) {
            docs.add(n);
          }
        }
      }
      return docs;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }

  /**
   * A document read into its model.
   *
   * @throws IllegalArgumentException naming file, document and the problem: an unknown kind, a
   *     field of the wrong type, or fields the model does not know
   */
  static Doc read(Path file, int index, JsonNode node) {
    String kind = node.path("apiVersion").asText() + "/" + node.path("kind").asText();
    String where = file.getFileName() + " document " + (index + 1) + " (" + kind + ")";
    Class<?> type = KINDS.get(kind);
    if (type == null) {
      throw new IllegalArgumentException(where + ": unknown kind; known: " + KINDS.keySet());
    }
    Object resource;
    try {
      resource = YAML.treeToValue(node, type);
    } catch (IOException e) {
      throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
    }
    List<String> unknown = new ArrayList<>();
    unknownFields(resource, node.path("kind").asText(), unknown);
    if (!unknown.isEmpty()) {
      throw new IllegalArgumentException(where + ": fields the model does not have: " + unknown);
    }
    return new Doc(file, index, node.path("kind").asText(), resource);
  }

  /** Every document of every manifest file. */
  static List<Doc> all() {
    List<Doc> out = new ArrayList<>();
    for (Path f : files()) {
      List<JsonNode> docs = yamlDocuments(f);
      for (int i = 0; i < docs.size(); i++) {
        out.add(read(f, i, docs.get(i)));
      }
    }
    return out;
  }

  static <T> List<T> ofType(List<Doc> docs, Class<T> type) {
    return docs.stream().map(Doc::resource).filter(type::isInstance).map(type::cast).toList();
  }

  /** The pod template of a workload (StatefulSet, Deployment, Job), else null. */
  static PodTemplateSpec podTemplate(Object resource) {
    if (resource instanceof StatefulSet s) {
      return s.getSpec().getTemplate();
    }
    if (resource instanceof Deployment d) {
      return d.getSpec().getTemplate();
    }
    if (resource instanceof Job j) {
      return j.getSpec().getTemplate();
    }
    return null;
  }

  /**
   * The fabric8 and Strimzi models keep fields they do not know in {@code additionalProperties}
   * instead of failing: walks the object graph and lists every non-empty one with its path.
   */
  static void unknownFields(Object o, String path, List<String> out) {
    walk(o, path, out, Collections.newSetFromMap(new IdentityHashMap<>()));
  }

  private static void walk(Object o, String path, List<String> out, Set<Object> seen) {
    if (o == null
        || o instanceof CharSequence
        || o instanceof Number
        || o instanceof Boolean
        || o instanceof Enum<?>
        || !seen.add(o)) {
      return;
    }
    if (o instanceof Map<?, ?> m) {
      m.forEach((k, v) -> walk(v, path + "." + k, out, seen));
      return;
    }
    if (o instanceof Collection<?> c) {
      int i = 0;
      for (Object e : c) {
        walk(e, path + "[" + i++ + "]", out, seen);
      }
      return;
    }
    String name = o.getClass().getName();
    if (!name.startsWith("io.fabric8.") && !name.startsWith("io.strimzi.")) {
      return;
    }
    for (Method m : o.getClass().getMethods()) {
      if (m.getParameterCount() != 0
          || Modifier.isStatic(m.getModifiers())
          || !m.getName().startsWith("get")
          || m.getDeclaringClass() == Object.class) {
        continue;
      }
      Object v;
      try {
        v = m.invoke(o);
      } catch (IllegalAccessException | InvocationTargetException e) {
        continue;
      }
      if (m.getName().equals("getAdditionalProperties")) {
        if (v instanceof Map<?, ?> extra && !extra.isEmpty()) {
          out.add(path + ": " + extra.keySet());
        }
        continue;
      }
      String field = m.getName().substring(3);
      walk(v, path + "." + Character.toLowerCase(field.charAt(0)) + field.substring(1), out, seen);
    }
  }
}
