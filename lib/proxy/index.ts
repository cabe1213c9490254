// The REST proxy: the Confluent REST Proxy API and the Kafka-Pixy API over the core classes.
export { startProxy, adminClusterView, createApp, type RunningProxy, type ClusterViewFactory } from './server';
export { DEFAULTS, applyProperties, loadConfigFile, parseProperties, type ProxyConfig } from './config';
export { AdminClusterView } from './cluster-view';
export { RestError } from './rest-error';
