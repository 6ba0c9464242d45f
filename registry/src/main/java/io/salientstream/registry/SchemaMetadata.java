package io.salientstream.registry;

/** One registered version of a subject: {@code GET /subjects/{subject}/versions/{version}}. */
public record SchemaMetadata(String subject, int version, int id, String schema) {}
