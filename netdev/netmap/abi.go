package netmap

// The netmap ABI this package implements: NETMAP_API 14 of sys/net/netmap.h
// and sys/net/netmap_legacy.h in the netmap project (github.com/luigirizzo/
// netmap, man page netmap(4)). All fields are in host byte order; offsets
// are for 64-bit Linux (amd64, arm64), where ssize_t and int64 are 8 bytes.
//
// The kernel maps one shared region; NIOCREGIF tells where in it our
// netmap_if lies (nr_offset) and how large it is (nr_memsize). Everything
// else is found by offsets relative to the structure that holds them:
//
//	region
//	+--------------------------+ <- nr_offset
//	| struct netmap_if         |
//	|   ring_ofs[i] -----------+---> ring i = netmap_if + ring_ofs[i]
//	+--------------------------+
//	| struct netmap_ring       |     buffer b = ring + buf_ofs + b*nr_buf_size
//	|   slot[0..num_slots-1] --+---> slot.buf_idx names a buffer
//	+--------------------------+
//	| buffers, nr_buf_size each|
//	+--------------------------+
//
// struct netmap_if (56 bytes, then the ring_ofs array):
//
//	 0  char     ni_name[16]
//	16  uint32   ni_version
//	20  uint32   ni_flags
//	24  uint32   ni_tx_rings        NIC tx rings
//	28  uint32   ni_rx_rings        NIC rx rings
//	32  uint32   ni_bufs_head
//	36  uint32   ni_host_tx_rings   host (software) tx rings
//	40  uint32   ni_host_rx_rings
//	44  uint32   ni_spare1[3]
//	56  ssize_t  ring_ofs[]         NIC tx, host tx, NIC rx, host rx;
//	                                0 for a ring not bound to this fd
const (
	ifTxRings     = 24
	ifRxRings     = 28
	ifHostTxRings = 36
	ifHostRxRings = 40
	ifRingOfs     = 56
)

// struct netmap_ring (256-byte header, then the slots):
//
//	  0  int64    buf_ofs      buffer 0, relative to this ring
//	  8  uint32   num_slots
//	 12  uint32   nr_buf_size
//	 16  uint16   ringid
//	 18  uint16   dir          0 tx, 1 rx
//	 20  uint32   head         (user) first slot owned by us
//	 24  uint32   cur          (user) wakeup point
//	 28  uint32   tail         (kernel) first slot owned by the kernel
//	 32  uint32   flags
//	 40  timeval  ts           16 bytes
//	 56  ...                   (later APIs: offset_mask, buf_align)
//	128  uint8    sem[128]     aligned to NM_CACHE_ALIGN (128)
//	256  struct netmap_slot slot[num_slots]
//
// Slots [head, tail) belong to us: on rx they hold received frames, on tx
// they are free for frames to send. We advance head (and cur with it) past
// what we used; the next NIOCRXSYNC/NIOCTXSYNC or poll(2) hands them back.
// head == tail means rx empty, or tx full (the kernel keeps one slot back).
const (
	ringBufOfs   = 0
	ringNumSlots = 8
	ringBufSize  = 12
	ringHead     = 20
	ringCur      = 24
	ringTail     = 28
	ringSlots    = 256 // sizeof(struct netmap_ring)
)

// struct netmap_slot (16 bytes):
//
//	0  uint32  buf_idx
//	4  uint16  len
//	6  uint16  flags     NS_MOREFRAG: the frame continues in the next slot
//	8  uint64  ptr       indirect buffers (VALE tx only; unused here)
const (
	slotBufIdx = 0
	slotLen    = 4
	slotFlags  = 6
	slotSize   = 16

	nsMoreFrag = 0x0020
)

// struct nmreq, the argument of NIOCREGIF (60 bytes; it overlays struct
// ifreq, hence the name first):
//
//	 0  char      nr_name[16]
//	16  uint32    nr_version    in: NETMAP_API; out: the kernel's on mismatch
//	20  uint32    nr_offset     out: netmap_if's offset in the region
//	24  uint32    nr_memsize    out: size of the region to mmap
//	28  uint32    nr_tx_slots
//	32  uint32    nr_rx_slots
//	36  uint16    nr_tx_rings
//	38  uint16    nr_rx_rings
//	40  uint16    nr_ringid     NETMAP_NO_TX_POLL: poll(2) only txsyncs on POLLOUT
//	42  uint16    nr_cmd        0: register
//	44  uint16    nr_arg1
//	46  uint16    nr_arg2
//	48  uint32    nr_arg3
//	52  uint32    nr_flags      NR_REG_ALL_NIC: every NIC ring pair
//	56  uint32    spare2[1]
const (
	reqName     = 0
	reqVersion  = 16
	reqOffset   = 20
	reqMemsize  = 24
	reqTxSlots  = 28
	reqRxSlots  = 32
	reqTxRings  = 36
	reqRxRings  = 38
	reqRingID   = 40
	reqFlags    = 52
	reqSize     = 60
	ifNameSize  = 16
	apiVersion  = 14
	noTxPoll    = 0x1000
	regAllNIC   = 1
	minBufSize  = 64      // smaller buffers cannot hold an Ethernet frame
	maxBufSize  = 1 << 16 // slot.len is 16 bits
	maxNumSlots = 1 << 20
)

// Linux ioctl numbers: _IOWR('i', 146, struct nmreq), _IO('i', 148/149).
const (
	niocRegIf  = 3<<30 | reqSize<<16 | 'i'<<8 | 146
	niocTxSync = 'i'<<8 | 148
	niocRxSync = 'i'<<8 | 149
)
