package io.salientstream.stack.topics;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates the topics a deployment needs at start-up. Idempotent: existing topics are kept as they
 * are and checked against the catalogue; a difference (partitions, cleanup policy) is reported in
 * the {@link Result} and logged as a warning, never "fixed" silently.
 */
public final class TopicInitializer {
  private static final Logger LOG = LoggerFactory.getLogger(TopicInitializer.class);
  private static final long TIMEOUT_S = 30;

  private TopicInitializer() {}

  /** What {@link #ensureTopics} found and did. */
  public record Result(List<String> created, List<String> existing, List<String> mismatches) {
    public boolean hasMismatches() {
      return !mismatches.isEmpty();
    }

    /** Throws when any existing topic differs from its spec. */
    public Result requireMatching() {
      if (hasMismatches()) {
        throw new IllegalStateException("existing topics differ from the catalogue: " + mismatches);
      }
      return this;
    }
  }

  /** Ensures every topic of the catalogue exists (with its tenant prefix). */
  public static Result ensureTopics(Admin admin, Topics topics, short replicationFactor) {
    List<NewTopic> wanted = new ArrayList<>();
    for (TopicSpec<?> spec : Topics.specs()) {
      wanted.add(
          new NewTopic(topics.name(spec), spec.partitions(), replicationFactor)
              .configs(spec.configs()));
    }
    return ensureTopics(admin, wanted);
  }

  /**
   * Ensures every topic in {@code wanted} exists; checks partitions and configs of those that
   * already do.
   */
  public static Result ensureTopics(Admin admin, Collection<NewTopic> wanted) {
    try {
      Set<String> present = admin.listTopics().names().get(TIMEOUT_S, TimeUnit.SECONDS);
      List<NewTopic> missing = wanted.stream().filter(t -> !present.contains(t.name())).toList();
      List<String> created = new ArrayList<>();
      List<String> existing = new ArrayList<>();
      Map<String, KafkaFuture<Void>> results =
          missing.isEmpty() ? Map.of() : admin.createTopics(missing).values();
      for (Map.Entry<String, KafkaFuture<Void>> e : results.entrySet()) {
        try {
          e.getValue().get(TIMEOUT_S, TimeUnit.SECONDS);
          created.add(e.getKey());
        } catch (ExecutionException ex) {
          if (!(ex.getCause() instanceof TopicExistsException)) {
            throw new KafkaException(
                "cannot create topic " + e.getKey() + ": " + ex.getCause().getMessage(),
                ex.getCause());
          }
          existing.add(e.getKey()); // created concurrently by someone else
        }
      }
      List<NewTopic> toCheck = new ArrayList<>();
      for (NewTopic t : wanted) {
        if (present.contains(t.name())) {
          existing.add(t.name());
        }
        if (existing.contains(t.name())) {
          toCheck.add(t);
        }
      }
      List<String> mismatches = checkWithRetry(admin, toCheck);
      created.sort(null);
      existing.sort(null);
      if (!created.isEmpty()) {
        LOG.info("created topics {}", created);
      }
      mismatches.forEach(m -> LOG.warn("topic mismatch: {}", m));
      return new Result(List.copyOf(created), List.copyOf(existing), List.copyOf(mismatches));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new KafkaException("interrupted while ensuring topics", e);
    } catch (ExecutionException | TimeoutException e) {
      throw new KafkaException("cannot ensure topics: " + e.getMessage(), e);
    }
  }

  /** Topics created a moment ago may not be visible to describe calls yet: retry for a while. */
  private static List<String> checkWithRetry(Admin admin, List<NewTopic> topics)
      throws InterruptedException, ExecutionException, TimeoutException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_S);
    while (true) {
      try {
        return check(admin, topics);
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof UnknownTopicOrPartitionException)
            || System.nanoTime() > deadline) {
          throw e;
        }
        Thread.sleep(100);
      }
    }
  }

  private static List<String> check(Admin admin, List<NewTopic> topics)
      throws InterruptedException, ExecutionException, TimeoutException {
    List<String> mismatches = new ArrayList<>();
    if (topics.isEmpty()) {
      return mismatches;
    }
    List<String> names = topics.stream().map(NewTopic::name).toList();
    Map<String, TopicDescription> descriptions =
        admin.describeTopics(names).allTopicNames().get(TIMEOUT_S, TimeUnit.SECONDS);
    Map<ConfigResource, String> resources = new HashMap<>();
    names.forEach(n -> resources.put(new ConfigResource(ConfigResource.Type.TOPIC, n), n));
    Map<ConfigResource, Config> configs =
        admin.describeConfigs(resources.keySet()).all().get(TIMEOUT_S, TimeUnit.SECONDS);
    for (NewTopic t : topics) {
      int actual = descriptions.get(t.name()).partitions().size();
      if (t.numPartitions() > 0 && actual != t.numPartitions()) {
        mismatches.add(
            t.name() + ": has " + actual + " partitions, the catalogue says " + t.numPartitions());
      }
      Config c = configs.get(new ConfigResource(ConfigResource.Type.TOPIC, t.name()));
      if (t.configs() != null) {
        for (Map.Entry<String, String> want : t.configs().entrySet()) {
          ConfigEntry have = c.get(want.getKey());
          String value = have == null ? null : have.value();
          if (!want.getValue().equals(value)) {
            mismatches.add(
                t.name()
                    + ": "
                    + want.getKey()
                    + "="
                    + value
                    + ", the catalogue says "
                    + want.getValue());
          }
        }
      }
    }
    return mismatches;
  }
}
