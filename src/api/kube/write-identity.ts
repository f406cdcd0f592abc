/**
 * What every update checks of the object it is given before anything else, whichever backend
 * keeps the kind (generic, nodes, pods): the body names the URL's object (400), and the uid
 * and resourceVersion it carries, when it carries them, are the current object's (the
 * precondition's 409, and the optimistic-concurrency 409), as the API server's update handler
 * and its storage check them.
 */
import type { KindInfo } from './kinds.ts';
import type { Obj } from './object.ts';
import { badRequest, conflict, preconditionFailed } from './status.ts';

/** The body's `metadata.name`, when given, must be the URL's. */
export function checkBodyName(name: string, next: Obj): void {
  if (next.metadata.name !== undefined && next.metadata.name !== name) {
    throw badRequest(`the name of the object (${String(next.metadata.name)}) does not match the name on the URL (${name})`);
  }
}

/** A uid or resourceVersion sent with an update must be the current object's. */
export function checkPreconditions(kind: KindInfo, name: string, current: Obj, next: Obj): void {
  const sentUid = next.metadata.uid;
  if (sentUid !== undefined && sentUid !== '' && sentUid !== current.metadata.uid) throw preconditionFailed(kind, name, 'UID', sentUid, current.metadata.uid);
  const wanted = next.metadata.resourceVersion;
  if (wanted !== undefined && wanted !== '' && wanted !== current.metadata.resourceVersion) throw conflict(kind, name);
}
