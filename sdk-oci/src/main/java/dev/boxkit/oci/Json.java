package dev.boxkit.oci;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.SerializerProvider;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Collection;
import java.util.TreeSet;

/** JSON shapes of model fields that Jackson has no default for; used through annotations. */
final class Json {
  private Json() {}

  /** A set written as an object whose keys are the elements and whose values are {@code {}}. */
  static final class KeySetSerializer extends JsonSerializer<Collection<String>> {
    @Override
    public void serialize(Collection<String> value, JsonGenerator gen, SerializerProvider p)
        throws IOException {
      gen.writeStartObject();
      for (String key : new TreeSet<>(value)) {
        gen.writeFieldName(key);
        gen.writeStartObject();
        gen.writeEndObject();
      }
      gen.writeEndObject();
    }

    @Override
    public boolean isEmpty(SerializerProvider provider, Collection<String> value) {
      return value == null || value.isEmpty();
    }
  }

  /** Reads {@code {"key": {...}, ...}} (or null) as the set of its keys. */
  static final class KeySetDeserializer extends JsonDeserializer<TreeSet<String>> {
    @Override
    public TreeSet<String> deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
      if (p.currentToken() != JsonToken.START_OBJECT) {
        return (TreeSet<String>) ctxt.handleUnexpectedToken(TreeSet.class, p);
      }
      TreeSet<String> keys = new TreeSet<>();
      for (String name = p.nextFieldName(); name != null; name = p.nextFieldName()) {
        p.nextToken();
        p.skipChildren();
        keys.add(name);
      }
      return keys;
    }

    @Override
    public TreeSet<String> getNullValue(DeserializationContext ctxt) {
      return null;
    }
  }

  /** RFC 3339 in UTC, e.g. {@code 2026-01-01T00:00:00Z}, fraction only when non-zero. */
  static final class InstantSerializer extends JsonSerializer<Instant> {
    @Override
    public void serialize(Instant value, JsonGenerator gen, SerializerProvider p) throws IOException {
      gen.writeString(DateTimeFormatter.ISO_INSTANT.format(value));
    }
  }

  /** Reads RFC 3339 date-times with any offset. */
  static final class InstantDeserializer extends JsonDeserializer<Instant> {
    @Override
    public Instant deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
      String text = p.getValueAsString();
      if (text == null) {
        return (Instant) ctxt.handleUnexpectedToken(Instant.class, p);
      }
      try {
        return OffsetDateTime.parse(text, DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant();
      } catch (DateTimeParseException e) {
        throw new InvalidInputException(p.currentName() == null ? "created" : p.currentName(),
            text, "not an RFC 3339 date-time");
      }
    }
  }

  /** A duration as integer nanoseconds, as Docker writes Healthcheck times. */
  static final class NanosSerializer extends JsonSerializer<Duration> {
    @Override
    public void serialize(Duration value, JsonGenerator gen, SerializerProvider p) throws IOException {
      gen.writeNumber(value.toNanos());
    }
  }

  /** Reads integer nanoseconds. */
  static final class NanosDeserializer extends JsonDeserializer<Duration> {
    @Override
    public Duration deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
      if (!p.currentToken().isNumeric()) {
        return (Duration) ctxt.handleUnexpectedToken(Duration.class, p);
      }
      return Duration.ofNanos(p.getLongValue());
    }
  }
}
