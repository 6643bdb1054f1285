/**
 * Reading daos_nvme.conf (written by daos_server in the original's SPDK-style
 * format) to learn the instance's block devices.
 */
export interface NvmeConfDevices {
  /** aio: files or kernel block devices; nvme: PCI addresses; malloc: memory LUNs. */
  class: 'none' | 'aio' | 'nvme' | 'malloc';
  devices: string[];
  mallocLuns?: number;
  mallocLunSizeMB?: number;
}

export function parseNvmeConf(text: string): NvmeConfDevices {
  const out: NvmeConfDevices = { class: 'none', devices: [] };
  let section = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const sec = /^\[(\w+)\]$/.exec(line);
    if (sec) {
      section = sec[1].toLowerCase();
      if (section === 'aio' || section === 'nvme' || section === 'malloc') out.class = section;
      continue;
    }
    const words = line.split(/\s+/);
    if (section === 'aio' && words[0] === 'AIO' && words[1]) out.devices.push(words[1]);
    if (section === 'nvme' && words[0] === 'TransportID') {
      const m = /traddr:([0-9a-fA-F:.]+)/.exec(line);
      if (m) out.devices.push(m[1]);
    }
    if (section === 'malloc' && words[0] === 'NumberOfLuns') out.mallocLuns = Number(words[1]);
    if (section === 'malloc' && words[0] === 'LunSizeInMB') out.mallocLunSizeMB = Number(words[1]);
  }
  return out;
}
