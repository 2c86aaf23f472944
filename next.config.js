/** @type {import('next').NextConfig} */
const nextConfig = {
  // Native and gRPC packages are loaded from node_modules at run time instead of being bundled.
  serverExternalPackages: ['etcd3', '@grpc/grpc-js', '@google-cloud/compute', 'google-gax', '@kubernetes/client-node'],
  poweredByHeader: false,
};
export default nextConfig;
