import { describe, expect, it } from 'vitest';
import { toEtcdMembers, toEtcdStatus } from './etcd3-admin';

describe('toEtcdMembers', () => {
  it('maps etcd3 members with uint64 ids as decimal strings, sorted by name', () => {
    expect(
      toEtcdMembers({
        header: {},
        members: [
          {
            ID: '17237436991929493444',
            name: 'etcd-prod-master-x2b',
            peerURLs: ['https://127.20.0.3:2380'],
            clientURLs: ['https://127.20.0.3:2379'],
            isLearner: false,
          },
          {
            ID: '9372538179322589801',
            name: '',
            peerURLs: ['https://127.20.0.4:2380'],
            clientURLs: [],
            isLearner: true,
          },
          {
            ID: '10501334649042878790',
            name: 'etcd-prod-master-a1c',
            peerURLs: ['https://127.20.0.2:2380'],
            clientURLs: ['https://127.20.0.2:2379'],
          },
        ],
      }),
    ).toEqual([
      { id: '9372538179322589801', name: '', peerUrls: ['https://127.20.0.4:2380'], clientUrls: [], isLearner: true },
      {
        id: '10501334649042878790',
        name: 'etcd-prod-master-a1c',
        peerUrls: ['https://127.20.0.2:2380'],
        clientUrls: ['https://127.20.0.2:2379'],
        isLearner: false,
      },
      {
        id: '17237436991929493444',
        name: 'etcd-prod-master-x2b',
        peerUrls: ['https://127.20.0.3:2380'],
        clientUrls: ['https://127.20.0.3:2379'],
        isLearner: false,
      },
    ]);
  });
});

describe('toEtcdStatus', () => {
  it('maps maintenance.status', () => {
    expect(
      toEtcdStatus({
        header: { cluster_id: '1', member_id: '17237436991929493444', revision: '5', raft_term: '2' },
        version: '3.4.23',
        dbSize: '20480',
        leader: '10501334649042878790',
        raftIndex: '42',
        raftTerm: '2',
        raftAppliedIndex: '42',
        errors: [],
        dbSizeInUse: '16384',
        isLearner: false,
      }),
    ).toEqual({
      ok: true,
      memberId: '17237436991929493444',
      leaderId: '10501334649042878790',
      raftIndex: 42,
      raftTerm: 2,
      dbSize: 20480,
      isLearner: false,
      version: '3.4.23',
    });
  });

  it('rejects an answer without member id', () => {
    expect(() =>
      toEtcdStatus({ header: {}, leader: '1', raftIndex: '1', raftTerm: '1', dbSize: '1', version: 'x' }),
    ).toThrow();
  });
});
