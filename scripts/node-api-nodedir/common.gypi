# node-gyp's --nodedir for building against the node-api-headers package instead of Node's own
# headers (which node-gyp would otherwise download): this file stands in for Node's common.gypi.
# A Node-API addon needs only the Node-API headers, and libuv's for its wake-up handles.
{
  'target_defaults': {
    'default_configuration': 'Release',
    'include_dirs': ["<!(node -p \"require('node-api-headers').include_dir\")"],
    'cflags': ['-pthread', '<!@(pkg-config --cflags libuv)'],
    'ldflags': ['-pthread'],
    'configurations': {
      'Release': { 'cflags': ['-O3'] },
      'Debug': { 'cflags': ['-g', '-O0'], 'defines': ['DEBUG', '_DEBUG'] },
    },
  },
}
