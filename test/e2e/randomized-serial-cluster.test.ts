import { uniquePrefix } from '../support/databases.ts';
import { randomizedSerial } from '../support/randomized-serial.ts';
import { ownRedisCluster, type OwnCluster } from '../support/redis-topologies.ts';

let cluster: OwnCluster | null = null;

randomizedSerial({
  name: 'a three-master Redis Cluster',
  async start() {
    cluster = await ownRedisCluster(17_360);
    return { REDIS_URL: '', REDIS_CLUSTER: cluster.nodes, HOIST_REDIS_PREFIX: `{${uniquePrefix()}}` };
  },
  async stop() {
    await cluster?.stop();
  },
});
