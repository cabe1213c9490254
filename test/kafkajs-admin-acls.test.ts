// The kafkajs facade's ACL methods, with kafkajs's documented examples (kafka.js.org/docs/admin),
// on a real broker with an authorizer: the secured broker of test/secured.ts, through its internal
// plaintext listener, whose anonymous user is a super user. Neither the embedded broker (no ACL
// requests) nor the run's plain broker (no authorizer) can hold ACLs.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../lib';
import { KafkaJSAdmin } from '../lib/kafkajs/admin';
import { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes } from '../lib/kafkajs/enums';
import { useSecuredKafka } from './secured';

const kafka = useSecuredKafka();

describe('ACLs on a broker with an authorizer', () => {
  let admin: KafkaJSAdmin;
  beforeAll(async () => {
    admin = new KafkaJSAdmin({ config: { 'bootstrap.servers': kafka.bootstrapServers }, logger: silentLogger, retry: {}, confluentShape: false });
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.disconnect();
  });

  it('createAcls, describeAcls and deleteAcls, as documented: the ACLs come back grouped by resource, and each filter lists what it deleted', async () => {
    const topicName = `kjs-acl-${randomUUID().slice(0, 8)}`;
    const acl = [
      {
        resourceType: AclResourceTypes.TOPIC,
        resourceName: topicName,
        resourcePatternType: ResourcePatternTypes.LITERAL,
        principal: 'User:bob',
        host: '*',
        operation: AclOperationTypes.ALL,
        permissionType: AclPermissionTypes.DENY,
      },
      {
        resourceType: AclResourceTypes.TOPIC,
        resourceName: topicName,
        resourcePatternType: ResourcePatternTypes.LITERAL,
        principal: 'User:alice',
        host: '*',
        operation: AclOperationTypes.ALL,
        permissionType: AclPermissionTypes.ALLOW,
      },
    ];
    expect(await admin.createAcls({ acl })).toBe(true);

    const described = await admin.describeAcls({
      resourceName: topicName,
      resourceType: AclResourceTypes.TOPIC,
      host: '*',
      permissionType: AclPermissionTypes.ANY,
      operation: AclOperationTypes.ANY,
      resourcePatternType: ResourcePatternTypes.LITERAL,
    });
    expect(described).toMatchObject({ throttleTime: 0, errorCode: 0 });
    expect(described.resources).toHaveLength(1);
    expect(described.resources[0]).toMatchObject({ resourceType: AclResourceTypes.TOPIC, resourceName: topicName, resourcePatternType: ResourcePatternTypes.LITERAL });
    expect(described.resources[0].acls.sort((a, b) => a.principal.localeCompare(b.principal))).toEqual([
      { principal: 'User:alice', host: '*', operation: AclOperationTypes.ALL, permissionType: AclPermissionTypes.ALLOW },
      { principal: 'User:bob', host: '*', operation: AclOperationTypes.ALL, permissionType: AclPermissionTypes.DENY },
    ]);

    const filter = {
      resourceName: topicName,
      resourceType: AclResourceTypes.TOPIC,
      host: '*',
      permissionType: AclPermissionTypes.ALLOW,
      operation: AclOperationTypes.ANY,
      resourcePatternType: ResourcePatternTypes.LITERAL,
    };
    const deleted = await admin.deleteAcls({ filters: [filter, { ...filter, permissionType: AclPermissionTypes.DENY }] });
    expect(deleted).toEqual({
      throttleTime: 0,
      filterResponses: [
        {
          errorCode: 0,
          errorMessage: null,
          matchingAcls: [
            {
              errorCode: 0,
              errorMessage: null,
              resourceType: AclResourceTypes.TOPIC,
              resourceName: topicName,
              resourcePatternType: ResourcePatternTypes.LITERAL,
              principal: 'User:alice',
              host: '*',
              operation: AclOperationTypes.ALL,
              permissionType: AclPermissionTypes.ALLOW,
            },
          ],
        },
        {
          errorCode: 0,
          errorMessage: null,
          matchingAcls: [expect.objectContaining({ principal: 'User:bob', permissionType: AclPermissionTypes.DENY })],
        },
      ],
    });
    expect((await admin.describeAcls({ ...filter, permissionType: AclPermissionTypes.ANY })).resources).toEqual([]);
  });
});
