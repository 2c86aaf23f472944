import http from 'node:http';
import { InstancesClient } from '@google-cloud/compute';
import { googleAuthLibrary } from 'google-gax';
const srv = http.createServer(() => { /* never answers */ });
srv.listen(0, '127.0.0.1', async () => {
  const port = (srv.address() as { port: number }).port;
  const mk = (p: number) => new InstancesClient({ apiEndpoint: '127.0.0.1', port: p, protocol: 'http', fallback: true, authClient: new googleAuthLibrary.PassThroughClient() });
  const slow = mk(port);
  let t = Date.now();
  try { await slow.get({ project: 'p', zone: 'z', instance: 'i' }, { timeout: 500, maxRetries: 0 }); } catch (e) { const r = e as Record<string, unknown>; console.log('slow', Date.now() - t, (e as Error).constructor.name, r.code, (e as Error).message.slice(0, 200)); }
  const dead = mk(1);
  t = Date.now();
  try { await dead.get({ project: 'p', zone: 'z', instance: 'i' }, { timeout: 500, maxRetries: 0 }); } catch (e) { const r = e as Record<string, unknown>; console.log('dead', Date.now() - t, (e as Error).constructor.name, r.code, (e as Error).message.slice(0, 200)); }
  t = Date.now();
  try { await dead.get({ project: 'p', zone: 'z', instance: 'i' }, { timeout: 3000, retry: { retryCodes: [] } }); } catch (e) { const r = e as Record<string, unknown>; console.log('dead-default', Date.now() - t, (e as Error).constructor.name, r.code, (e as Error).message.slice(0, 200)); }
  t = Date.now();
  try { for await (const x of dead.listAsync({ project: 'p', zone: 'z' }, { timeout: 500, maxRetries: 0 })) console.log(x); } catch (e) { const r = e as Record<string, unknown>; console.log('dead-list', Date.now() - t, (e as Error).constructor.name, r.code, (e as Error).message.slice(0, 200)); }
  srv.closeAllConnections(); srv.close(); await slow.close(); await dead.close();
});
