/**
 * Sample outputs of ipmctl and ndctl, written after the tools' documented
 * formats, for the parser and provider tests.
 */

/** `ipmctl show -u B -d PhysicalID,Capacity,SocketID,MemControllerID,ChannelID,ChannelPos -dimm`, two sockets. */
export const IPMCTL_DIMMS = ` ---DimmID=0x0001---
   PhysicalID=0x002a
   Capacity=539661172736 B
   SocketID=0x0000
   MemControllerID=0x0000
   ChannelID=0x0000
   ChannelPos=0
 ---DimmID=0x0011---
   PhysicalID=0x001e
   Capacity=539661172736 B
   SocketID=0x0000
   MemControllerID=0x0000
   ChannelID=0x0001
   ChannelPos=0
 ---DimmID=0x1001---
   PhysicalID=0x0036
   Capacity=539661172736 B
   SocketID=0x0001
   MemControllerID=0x0001
   ChannelID=0x0000
   ChannelPos=1
`;

/** The same listing without `-u B` (the default GiB units). */
export const IPMCTL_DIMMS_GIB = `---DimmID=0x0001---
   PhysicalID=0x002a
   Capacity=502.599 GiB
   SocketID=0x0000
   MemControllerID=0x0000
   ChannelID=0x0000
   ChannelPos=0
`;

/** What ipmctl 03 prints (exit status 1) on a machine without persistent memory. */
export const IPMCTL_NO_MODULES = 'Initialization failed. No PMem modules in the system.\n';

export const IPMCTL_NO_REGIONS = '\nThere are no Regions defined in the system.\n';

/** `ipmctl show -d PersistentMemoryType,FreeCapacity -region`, AppDirect regions with free space. */
export const IPMCTL_REGIONS_FREE = `---ISetID=0x2aba7f4828ef2ccc---
   SocketID=0x0000
   PersistentMemoryType=AppDirect
   FreeCapacity=1008.000 GiB
---ISetID=0x81187f4881f02ccc---
   SocketID=0x0001
   PersistentMemoryType=AppDirect
   FreeCapacity=0.000 GiB
`;

/** Both regions used up by namespaces. */
export const IPMCTL_REGIONS_FULL = `---ISetID=0x2aba7f4828ef2ccc---
   SocketID=0x0000
   PersistentMemoryType=AppDirect
   FreeCapacity=0.000 GiB
---ISetID=0x81187f4881f02ccc---
   SocketID=0x0001
   PersistentMemoryType=AppDirect
   FreeCapacity=0.000 GiB
`;

/** `ndctl list -N -v` with two fsdax namespaces (an array). */
export const NDCTL_TWO = `[
  {
    "dev":"namespace1.0",
    "mode":"fsdax",
    "map":"dev",
    "size":3183575302144,
    "uuid":"842fc847-28e0-4bb6-8dfc-7b08d6ab51b5",
    "raw_uuid":"dedb4b28-dc4b-4ccd-b7d1-9bd475c91264",
    "sector_size":512,
    "align":2097152,
    "blockdev":"pmem1",
    "numa_node":1,
    "target_node":3
  },
  {
    "dev":"namespace0.0",
    "mode":"fsdax",
    "map":"dev",
    "size":3183575302144,
    "uuid":"b5d2f8c4-5b4c-4e8a-9a4f-1d3f2e6c7a90",
    "raw_uuid":"1bd4f5a2-46b4-4c0e-8d6e-2f4a3c7b9e11",
    "sector_size":512,
    "align":2097152,
    "blockdev":"pmem0",
    "numa_node":0,
    "target_node":2
  }
]
`;

/** A single namespace is printed as an object, not an array. */
export const NDCTL_ONE = `{
  "dev":"namespace0.0",
  "mode":"fsdax",
  "map":"dev",
  "size":3183575302144,
  "uuid":"b5d2f8c4-5b4c-4e8a-9a4f-1d3f2e6c7a90",
  "sector_size":512,
  "align":2097152,
  "blockdev":"pmem0",
  "numa_node":0
}
`;

/** A devdax namespace has a chardev, no blockdev; it is not usable as SCM. */
export const NDCTL_DEVDAX = `[
  {"dev":"namespace0.0","mode":"devdax","map":"dev","size":3183575302144,"uuid":"5d2f2517-9217-4d7d-9c32-70731c9ac11e","chardev":"dax0.0","align":2097152,"numa_node":0},
  {"dev":"namespace1.0","mode":"fsdax","map":"dev","size":3183575302144,"uuid":"2bfe6c40-f79a-4b8e-bddf-ba81d4427b9b","blockdev":"pmem1","numa_node":1}
]
`;
