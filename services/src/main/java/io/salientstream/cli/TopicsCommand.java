package io.salientstream.cli;

import io.salientstream.stack.topics.TopicInitializer;
import io.salientstream.stack.topics.TopicSpec;
import io.salientstream.stack.topics.Topics;
import io.salientstream.streams.Dependencies;
import io.salientstream.streams.LayeredConfig;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code salientstream topics create|describe}: the system's topics for a tenant, created
 * idempotently.
 */
@Command(
    name = "topics",
    mixinStandardHelpOptions = true,
    description = "Create or describe the system's topics.",
    subcommands = {TopicsCommand.Create.class, TopicsCommand.Describe.class})
final class TopicsCommand {

  @Command(
      name = "create",
      mixinStandardHelpOptions = true,
      description =
          "Create every missing topic (existing ones are left as they are; mismatches are reported).")
  static final class Create implements Callable<Integer> {
    @Mixin ConnectionOptions connection;

    @Option(
        names = "--replication-factor",
        defaultValue = "1",
        description = "Replication factor of new topics (default: ${DEFAULT-VALUE}).")
    short replicationFactor;

    @Override
    public Integer call() {
      LayeredConfig cfg = connection.resolve();
      if (replicationFactor < 1) {
        throw new IllegalArgumentException(
            "--replication-factor must be >= 1, got " + replicationFactor);
      }
      Topics topics = Topics.withPrefix(cfg.tenant());
      try (Admin admin = Dependencies.admin(cfg.kafkaProperties(), Dependencies.DEFAULT_TIMEOUT)) {
        Dependencies.requireBroker(admin, cfg.bootstrapServers(), Dependencies.DEFAULT_TIMEOUT);
        TopicInitializer.Result r = TopicInitializer.ensureTopics(admin, topics, replicationFactor);
        r.created().forEach(t -> System.out.println("created  " + t));
        r.existing().forEach(t -> System.out.println("exists   " + t));
        r.mismatches().forEach(t -> System.out.println("MISMATCH " + t));
        return r.hasMismatches() ? 1 : 0;
      }
    }
  }

  @Command(
      name = "describe",
      mixinStandardHelpOptions = true,
      description = "Show partitions and cleanup policy of every topic.")
  static final class Describe implements Callable<Integer> {
    @Mixin ConnectionOptions connection;

    @Override
    public Integer call() throws Exception {
      LayeredConfig cfg = connection.resolve();
      Topics topics = Topics.withPrefix(cfg.tenant());
      try (Admin admin = Dependencies.admin(cfg.kafkaProperties(), Dependencies.DEFAULT_TIMEOUT)) {
        Dependencies.requireBroker(admin, cfg.bootstrapServers(), Dependencies.DEFAULT_TIMEOUT);
        List<String> names = topics.names();
        var existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
        System.out.printf(
            "%-45s %10s %8s %-8s %s%n", "topic", "partitions", "replicas", "cleanup", "holds");
        for (TopicSpec<?> spec : Topics.specs()) {
          String name = topics.name(spec);
          if (!existing.contains(name)) {
            System.out.printf(
                "%-45s %10s %8s %-8s %s%n", name, "-", "-", "-", "MISSING (run: topics create)");
            continue;
          }
          TopicDescription d =
              admin
                  .describeTopics(List.of(name))
                  .allTopicNames()
                  .get(30, TimeUnit.SECONDS)
                  .get(name);
          ConfigResource res = new ConfigResource(ConfigResource.Type.TOPIC, name);
          Map<ConfigResource, Config> cfgs =
              admin.describeConfigs(List.of(res)).all().get(30, TimeUnit.SECONDS);
          String cleanup = cfgs.get(res).get("cleanup.policy").value();
          System.out.printf(
              "%-45s %10d %8d %-8s %s%n",
              name,
              d.partitions().size(),
              d.partitions().get(0).replicas().size(),
              cleanup,
              spec.description());
        }
        return 0;
      }
    }
  }
}
