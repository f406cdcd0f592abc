/**
 * Which StorageBackend serves each kind, by the registry row's `backend`: 'generic' (JSON
 * objects under the cluster's keys), 'events.k8s.io/v1' (a view of core v1 Events). Backends
 * kept elsewhere (nodes as container instances, pods as tasks) are added here by name.
 */
import type { KindInfo, KindRegistry } from './kinds.ts';
import type { GenericStorage } from './generic-storage.ts';
import type { StorageBackend } from './storage-backend.ts';
import { EventsV1View } from './events-view.ts';

export class Backends {
  readonly #byName = new Map<string, StorageBackend>();

  constructor(registry: KindRegistry, generic: GenericStorage, extra: Readonly<Record<string, StorageBackend>> = {}) {
    this.#byName.set('generic', generic);
    const coreEvents = registry.byResource('', 'v1', 'events');
    const viewEvents = registry.byResource('events.k8s.io', 'v1', 'events');
    if (coreEvents && viewEvents) this.#byName.set('events.k8s.io/v1', new EventsV1View(generic, coreEvents, viewEvents));
    for (const [name, backend] of Object.entries(extra)) this.#byName.set(name, backend);
    // A served kind without its backend is a composition mistake: refuse it here, before the
    // server listens, rather than on the first request (or in a controller's watch).
    const missing = registry.kinds.filter((k) => !this.#byName.has(k.backend)).map((k) => `${k.plural} ("${k.backend}")`);
    if (missing.length > 0) throw new Error(`no storage backend for ${missing.join(', ')}: pass it in the server's backends`);
  }

  for(kind: KindInfo): StorageBackend {
    const b = this.#byName.get(kind.backend);
    if (!b) throw new Error(`no storage backend "${kind.backend}" for ${kind.plural}`);
    return b;
  }
}
