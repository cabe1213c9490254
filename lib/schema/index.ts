// Schema Registry support: a registry client from Confluent-style properties, serializers and
// deserializers in Confluent's wire format, and the embedded in-memory registry.
export { registryClient, registryUrls, type RegistryOptions } from './registry-client';
export {
  SchemaDeserializer,
  SchemaError,
  SchemaSerializer,
  subjectName,
  wirePrefix,
  type Deserializer,
  type PackedBytes,
  type SchemaDeserializerOptions,
  type SchemaErrorKind,
  type SchemaSerializerOptions,
  type SchemaType,
  type SerdePart,
  type Serializer,
  type SubjectNameStrategy,
} from './serdes';
export { registryApp, SchemaStore, startEmbeddedRegistry, type EmbeddedRegistryOptions, type RunningRegistry } from './embedded-registry';
