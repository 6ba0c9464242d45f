package io.salientstream.registry;

import java.util.List;
import org.apache.avro.Schema;

/**
 * A client of a Confluent-compatible schema registry (Avro schemas). Implementations cache what
 * cannot change (ids and the schemas behind them).
 */
public interface SchemaRegistryClient extends AutoCloseable {

  /**
   * Registers {@code schema} under {@code subject}; registering the same schema again returns the
   * same id.
   */
  int register(String subject, Schema schema);

  /**
   * The id of {@code schema} if it is registered under {@code subject} ({@code POST
   * /subjects/{s}}).
   */
  int getId(String subject, Schema schema);

  /**
   * Metadata (id, version) of {@code schema} under {@code subject}, or a {@link
   * SchemaRegistryException}.
   */
  SchemaMetadata lookup(String subject, Schema schema);

  /** The schema registered with {@code id}; cached for the life of the client. */
  Schema getSchemaById(int id);

  /** The latest (non-deleted) version of {@code subject}. */
  SchemaMetadata getLatestSchemaMetadata(String subject);

  /** One version of {@code subject}. */
  SchemaMetadata getSchemaMetadata(String subject, int version);

  /** All subjects with at least one live version. */
  List<String> getAllSubjects();

  /** The live versions of {@code subject}, ascending. */
  List<Integer> getAllVersions(String subject);

  /**
   * Whether {@code schema} could be registered under {@code subject} given its compatibility level.
   */
  boolean testCompatibility(String subject, Schema schema);

  /**
   * The compatibility messages of that check (against the versions its level names); empty when
   * compatible.
   */
  List<String> testCompatibilityVerbose(String subject, Schema schema);

  /**
   * Sets the compatibility level of {@code subject}, or the global level when {@code subject} is
   * null.
   */
  CompatibilityLevel updateCompatibility(String subject, CompatibilityLevel level);

  /**
   * The compatibility level of {@code subject} (falling back to the global level when the subject
   * has none), or the global level when {@code subject} is null.
   */
  CompatibilityLevel getCompatibility(String subject);

  /** Soft-deletes every version of {@code subject}; returns the deleted versions. */
  List<Integer> deleteSubject(String subject);

  @Override
  void close();
}
