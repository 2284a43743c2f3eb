"""A Ceilometer hypervisor inspector for Nova's fake virt driver."""
