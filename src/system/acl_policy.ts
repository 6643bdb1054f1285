/** The AclPolicy of the pool service, on src/daos/acl.ts. ACLs are stored as their canonical text lines. */
import { checkAccess, defaultContAcl, defaultPoolAcl, deleteAce, formatAcl, parseAcl, parsePerms, updateAcl } from '../daos/acl.js';
import type { AclPolicy, Credential } from './mgmt_pool.js';

export const aclPolicy: AclPolicy = {
  canonical: (aces) => formatAcl(parseAcl(aces)),
  update: (acl, aces) => formatAcl(updateAcl(parseAcl(acl), parseAcl(aces))),
  remove: (acl, principal) => formatAcl(deleteAce(parseAcl(acl), principal)),
  allows: (acl, owner, ownerGroup, cred: Credential, perms) => checkAccess(parseAcl(acl), owner, ownerGroup, cred, parsePerms(perms)),
  defaultPool: () => formatAcl(defaultPoolAcl()),
  defaultCont: () => formatAcl(defaultContAcl()),
};
