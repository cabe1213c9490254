// The schema libraries, each loaded on first use from the module that has what is needed:
// @confluentinc/schemaregistry's entry point alone takes about 0.7 s to load (it brings its cloud
// KMS drivers), fastify about 0.1 s. A program that never touches a schema pays none of it.
import type * as Avsc from 'avsc';
import type * as Fastify from 'fastify';
import type * as Protobuf from 'protobufjs';
import type * as RegistryClient from '@confluentinc/schemaregistry/dist/schemaregistry-client';
import type * as RegistryRestError from '@confluentinc/schemaregistry/dist/rest-error';
import type * as AvroSerde from '@confluentinc/schemaregistry/dist/serde/avro';
import type * as JsonSerde from '@confluentinc/schemaregistry/dist/serde/json';
import type * as Serde from '@confluentinc/schemaregistry/dist/serde/serde';

/* eslint-disable @typescript-eslint/no-require-imports -- loaded on first use, see above */
export const registryClientModule = (): typeof RegistryClient => require('@confluentinc/schemaregistry/dist/schemaregistry-client');
export const registryRestErrorModule = (): typeof RegistryRestError => require('@confluentinc/schemaregistry/dist/rest-error');
export const avroSerdeModule = (): typeof AvroSerde => require('@confluentinc/schemaregistry/dist/serde/avro');
export const jsonSerdeModule = (): typeof JsonSerde => require('@confluentinc/schemaregistry/dist/serde/json');
export const serdeModule = (): typeof Serde => require('@confluentinc/schemaregistry/dist/serde/serde');
export const protobufjs = (): typeof Protobuf => require('protobufjs');
export const avsc = (): typeof Avsc => require('avsc');
export const fastify = (): typeof Fastify => require('fastify');
