import { describe, expect, it } from 'vitest';
import { hexIdToDecimal, isPeerMetricLine, parsePeerMetrics } from './etcd-metrics';

// Shaped as etcd 3.4.23 serves it on the client port (families sorted by name, # HELP and # TYPE before each).
const METRICS = `# HELP etcd_network_active_peers The current number of active peer connections.
# TYPE etcd_network_active_peers gauge
etcd_network_active_peers{Local="8e9e05c52164694d",Remote="91bc3c398fb3c146"} 1
etcd_network_active_peers{Local="8e9e05c52164694d",Remote="fd422379fda50e48"} 0
# HELP etcd_network_disconnected_peers_total The total number of disconnected peers.
# TYPE etcd_network_disconnected_peers_total counter
etcd_network_disconnected_peers_total{Local="8e9e05c52164694d",Remote="fd422379fda50e48"} 1
# HELP etcd_server_has_leader Whether or not a leader exists. 1 is existence, 0 is not.
# TYPE etcd_server_has_leader gauge
etcd_server_has_leader 1
# HELP etcd_server_is_leader Whether or not this member is a leader. 1 if is, 0 otherwise.
# TYPE etcd_server_is_leader gauge
etcd_server_is_leader 0
`;

describe('parsePeerMetrics', () => {
  it('reads the active peers (decimal ids), the inactive ones and whether a leader is known', () => {
    expect(parsePeerMetrics(METRICS)).toEqual({
      localId: hexIdToDecimal('8e9e05c52164694d'),
      activePeers: [hexIdToDecimal('91bc3c398fb3c146')],
      inactivePeers: [hexIdToDecimal('fd422379fda50e48')],
      hasLeader: true,
    });
  });

  it('converts etcd hex ids to the decimal ids the API reports, beyond 2^53', () => {
    expect(hexIdToDecimal('8e9e05c52164694d')).toBe('10276657743932975437');
    expect(hexIdToDecimal('1')).toBe('1');
  });

  it('keeps only the sample lines of the two families while the text streams', () => {
    expect(METRICS.split('\n').filter(isPeerMetricLine)).toEqual([
      'etcd_network_active_peers{Local="8e9e05c52164694d",Remote="91bc3c398fb3c146"} 1',
      'etcd_network_active_peers{Local="8e9e05c52164694d",Remote="fd422379fda50e48"} 0',
      'etcd_server_has_leader 1',
    ]);
  });

  it('a member without peers (single member) and without a leader', () => {
    expect(parsePeerMetrics('etcd_server_has_leader 0\n')).toEqual({
      localId: null,
      activePeers: [],
      inactivePeers: [],
      hasLeader: false,
    });
    expect(parsePeerMetrics('')).toEqual({ localId: null, activePeers: [], inactivePeers: [], hasLeader: null });
  });

  it('accepts labels in any order, a timestamp and float notation', () => {
    const m = parsePeerMetrics(
      'etcd_network_active_peers{Remote="2",Local="1"} 1e+00 1700000000000\netcd_server_has_leader 1.0\n',
    );
    expect(m).toEqual({ localId: '1', activePeers: ['2'], inactivePeers: [], hasLeader: true });
  });

  it('a peer reported both inactive and active (series of a reconnect) counts as active', () => {
    const m = parsePeerMetrics(
      'etcd_network_active_peers{Local="a",Remote="b"} 0\netcd_network_active_peers{Local="a",Remote="b"} 1\n',
    );
    expect(m.activePeers).toEqual(['11']);
    expect(m.inactivePeers).toEqual([]);
  });

  it('refuses a sample that does not read as etcd writes it', () => {
    expect(() => parsePeerMetrics('etcd_network_active_peers{Local="zz",Remote="b"} 1\n')).toThrow();
    expect(() => parsePeerMetrics('etcd_network_active_peers{Local="a"} 1\n')).toThrow();
    expect(() => parsePeerMetrics('etcd_server_has_leader NaNx\n')).toThrow();
  });
});
